import Crypto
import ISRCrypto
import ISRPacket

/// A member's safety number: 60 digits in 12 groups of five, computed from their member id and their public signing
/// and encryption keys — never read from a file — so the practitioner and the admin can read it aloud and compare.
///
/// digits = for each of 12 five-byte chunks of SHA-512("isr/v1/member-fingerprint" || 0x00 || len(id) || id || sk || ek):
/// the chunk as a big-endian integer mod 100000, zero-padded to five digits. About 199 bits: no one can make other keys
/// with the same number.
public struct MemberFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// The 60 digits, without spaces.
    public let digits: String

    static let label = "isr/v1/member-fingerprint"

    public init(member: MemberID, signingKey: SigningPublicKey, encryptionKey: EncryptionPublicKey) {
        var input = Array(Self.label.utf8)
        input.append(0)
        let id = Array(member.rawValue.utf8)
        input.append(UInt8(truncatingIfNeeded: id.count >> 8))
        input.append(UInt8(truncatingIfNeeded: id.count))
        input += id + signingKey.bytes + encryptionKey.bytes
        let digest = Array(SHA512.hash(data: input))
        digits = (0..<12).map { group in
            let value = digest[(group * 5)..<(group * 5 + 5)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % 100_000
            let text = String(value)
            return String(repeating: "0", count: 5 - text.count) + text
        }.joined()
    }

    /// The form to read aloud: `12345 67890 …` (12 groups).
    public var description: String {
        let characters = Array(digits)
        return stride(from: 0, to: characters.count, by: 5).map { String(characters[$0..<$0 + 5]) }.joined(separator: " ")
    }

    /// True if `text` (digits, with any spaces or hyphens) is this fingerprint.
    public func matches(_ text: String) -> Bool {
        let typed = text.filter { $0 != " " && $0 != "-" }
        return ConstantTime.equal(Array(typed.utf8), Array(digits.utf8))
    }
}
