import Crypto
import Foundation
import ISRCrypto
import ISRPacket
import Testing
@testable import ISRPKI

/// The fingerprint people read aloud, and the key request whose parts cannot be swapped in transit.
@Suite struct MemberKeyRequestTests {
    let alice = try! MemberID("alice@school-a")

    @Test func theFingerprintIsSixtyDigitsComputedFromTheIdAndBothKeys() throws {
        let signing = try SigningPublicKey(bytes: Array(0..<32))
        let encryption = try EncryptionPublicKey(bytes: Array(32..<64))
        let fingerprint = MemberFingerprint(member: alice, signingKey: signing, encryptionKey: encryption)
        // Computed independently with Python's hashlib (see the type's documentation for the recipe).
        #expect(fingerprint.description == "79940 59592 94459 64841 32165 66742 43661 51242 17719 06788 12364 54433")
        #expect(fingerprint.matches("79940-59592-94459-64841-32165-66742-43661-51242-17719-06788-12364-54433"))
        #expect(!fingerprint.matches("79940 59592 94459 64841 32165 66742 43661 51242 17719 06788 12364 54434"))
        // Any change of id or key gives another number.
        let others = [MemberFingerprint(member: try MemberID("alice@school-b"), signingKey: signing, encryptionKey: encryption),
                      MemberFingerprint(member: alice, signingKey: try SigningPublicKey(bytes: Array(1..<33)), encryptionKey: encryption),
                      MemberFingerprint(member: alice, signingKey: signing, encryptionKey: try EncryptionPublicKey(bytes: Array(33..<65)))]
        #expect(Set(others.map(\.digits)).count == 3 && !others.contains(fingerprint))
    }

    func request() throws -> (MemberKeyRequest, SigningKeyPair) {
        let signing = SigningKeyPair.generate()
        return (try MemberKeyRequest(member: alice, signing: signing, encryptionKey: EncryptionKeyPair.generate().publicKey, tlsKey: P256.Signing.PrivateKey()),
                signing)
    }

    func received(_ request: MemberKeyRequest, csr: String? = nil, signing: [UInt8]? = nil, encryption: [UInt8]? = nil, proof: [UInt8]? = nil,
                  stated: String? = nil, expected: MemberID? = nil) throws -> MemberKeyRequest {
        try MemberKeyRequest(certificateRequestPEM: try csr ?? request.certificateRequest.pem(),
                             signingKey: Data(signing ?? request.signingKey.bytes).base64EncodedString(),
                             encryptionKey: Data(encryption ?? request.encryptionKey.bytes).base64EncodedString(),
                             proof: Data(proof ?? request.proof).base64EncodedString(), expected: expected, statedFingerprint: stated)
    }

    @Test func aRequestAsMadeVerifiesAndKeepsItsFingerprint() throws {
        let (made, _) = try request()
        let checked = try received(made, stated: made.fingerprint.description, expected: alice)
        #expect(checked.fingerprint == made.fingerprint && checked.member == alice)
    }

    @Test func everySwappedPartIsRefused() throws {
        let (made, _) = try request()
        let (attacker, attackerSigning) = try request()
        func code(_ body: () throws -> MemberKeyRequest) -> PKIErrorCode? {
            (#expect(throws: PKIError.self) { _ = try body() })?.code
        }
        // The attacker's keys with the victim's stated fingerprint: the proof holds, the fingerprint does not.
        #expect(code { try received(attacker, stated: made.fingerprint.description) } == .requestProof)
        // The attacker's CSR (their TLS key) with the victim's keys and proof.
        #expect(code { try received(made, csr: try attacker.certificateRequest.pem()) } == .requestProof)
        // Another signing or encryption key with the victim's proof.
        #expect(code { try received(made, signing: attacker.signingKey.bytes) } == .requestProof)
        #expect(code { try received(made, encryption: attacker.encryptionKey.bytes) } == .requestProof)
        // A proof the attacker made over the victim's CSR with their own key still names the attacker's key: another fingerprint.
        let forged = attackerSigning.sign(try MemberKeyRequest.proofMessage(member: alice, csr: made.certificateRequest, signingKey: attackerSigning.publicKey,
                                                                            encryptionKey: made.encryptionKey), context: .enrolmentRequest)
        let substituted = try received(made, signing: attackerSigning.publicKey.bytes, proof: forged)
        #expect(substituted.fingerprint != made.fingerprint)
        // No proof (an older request file), a short key, a request for someone else.
        #expect(code { try received(made, proof: []) } == .requestProof)
        #expect(code { try received(made, signing: Array(repeating: 1, count: 31)) } == .requestKeys)
        #expect(code { try received(made, expected: try MemberID("bob@school-a")) } == .requestIdentity)
    }
}
