import ISRCrypto
import Testing
@testable import ISRPKI

/// Invitation codes: 25 bytes written as ISR- and 40 base32 letters, read back however they are typed, tagged with the
/// inviting admin's key.
@Suite struct InvitationCodeTests {
    @Test func aCodeReadsBackHoweverItIsTypedAndVouchesForItsAdmin() throws {
        let admin = SigningKeyPair.generate().publicKey
        let code = InvitationCode.generate(adminKey: admin)
        #expect(code.bytes.count == 25 && code.text.hasPrefix("ISR-") && code.text.split(separator: "-").count == 9)
        for typed in [code.text, code.text.lowercased(), String(code.text.dropFirst(4)), code.text.replacingOccurrences(of: "-", with: " ")] {
            #expect(try InvitationCode(parsing: typed).bytes == code.bytes, "\(typed)")
        }
        #expect(code.vouches(for: admin) && !code.vouches(for: SigningKeyPair.generate().publicKey))
        #expect(code.hash == SHA256.hash(code.bytes) && InvitationCode.generate(adminKey: admin).bytes != code.bytes)
    }

    @Test func malformedCodesAreRefused() {
        for text in ["", "ISR-", "ISR-ABCDE", String(repeating: "A", count: 41), "ISR-" + String(repeating: "1", count: 40), "ISR-" + String(repeating: "A", count: 39) + "!"] {
            #expect(throws: PKIError.self, "\(text)") { try InvitationCode(parsing: text) }
        }
    }
}
