import Crypto
import Foundation
import ISRCrypto
import ISRPacket
import SwiftASN1

/// What a practitioner asks to be enrolled with: their certificate request (TLS key) and their public signing and
/// encryption keys, bound together by a proof — their signing key's signature over the member id, the request's DER
/// and the encryption key (context `isr/v1/enrolment-request`). Swapping any part in transit breaks the proof or
/// changes the computed fingerprint the admin reads back.
///
///     KeyRequestProof ::= SEQUENCE { member UTF8String, certificateRequest OCTET STRING, signingKey OCTET STRING (SIZE(32)),
///                                    encryptionKey OCTET STRING (SIZE(32)) }
public struct MemberKeyRequest: Sendable {
    public let member: MemberID
    public let certificateRequest: MemberCertificateRequest
    public let signingKey: SigningPublicKey
    public let encryptionKey: EncryptionPublicKey
    public let proof: [UInt8]

    /// Computed from the keys, never taken from the request.
    public var fingerprint: MemberFingerprint { MemberFingerprint(member: member, signingKey: signingKey, encryptionKey: encryptionKey) }

    /// A new request, made on the practitioner's machine with their keys.
    public init(member: MemberID, signing: SigningKeyPair, encryptionKey: EncryptionPublicKey, tlsKey: P256.Signing.PrivateKey) throws(PKIError) {
        let csr = try MemberCertificateRequest(member: member, privateKey: tlsKey)
        self.member = member
        certificateRequest = csr
        signingKey = signing.publicKey
        self.encryptionKey = encryptionKey
        proof = signing.sign(try Self.proofMessage(member: member, csr: csr, signingKey: signing.publicKey, encryptionKey: encryptionKey),
                             context: .enrolmentRequest)
    }

    /// Checks a request as received (PEM and base64 text): the CSR's own signature and member, the key lengths, and
    /// the proof. `expected` refuses a request for another member; `statedFingerprint`, if given, must be the computed one.
    public init(certificateRequestPEM: String, signingKey: String, encryptionKey: String, proof: String,
                expected: MemberID? = nil, statedFingerprint: String? = nil) throws(PKIError) {
        let csr = try MemberCertificateRequest(pem: certificateRequestPEM)
        guard let signingData = Data(base64Encoded: signingKey), let signing = try? SigningPublicKey(bytes: signingData),
              let encryptionData = Data(base64Encoded: encryptionKey), let encryption = try? EncryptionPublicKey(bytes: encryptionData) else {
            throw PKIError(.requestKeys, "the request does not hold two base64 32-byte public keys (signing_key, encryption_key)")
        }
        guard let proofData = Data(base64Encoded: proof), proofData.count == 64 else {
            throw PKIError(.requestProof, "the request carries no proof (a base64 64-byte signature); it was made by an older `isr`: run `isr keygen` again")
        }
        if let expected, csr.member != expected {
            throw PKIError(.requestIdentity, "the certificate request is for \(csr.member), not \(expected)")
        }
        let message = try Self.proofMessage(member: csr.member, csr: csr, signingKey: signing, encryptionKey: encryption)
        guard signing.isValidSignature(Array(proofData), for: message, context: .enrolmentRequest) else {
            throw PKIError(.requestProof, "the request's keys do not match its certificate request (the proof does not verify): it was altered in transit; do not enrol it, and ask the practitioner for a new one")
        }
        member = csr.member
        certificateRequest = csr
        self.signingKey = signing
        self.encryptionKey = encryption
        self.proof = Array(proofData)
        if let statedFingerprint, !fingerprint.matches(statedFingerprint) {
            throw PKIError(.requestProof, "the fingerprint written in the request is not the one its keys give (\(fingerprint)): it was altered in transit; do not enrol it")
        }
    }

    static func proofMessage(member: MemberID, csr: MemberCertificateRequest, signingKey: SigningPublicKey,
                             encryptionKey: EncryptionPublicKey) throws(PKIError) -> [UInt8] {
        do {
            var serializer = DER.Serializer()
            try serializer.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(ASN1UTF8String(contentBytes: ArraySlice(member.rawValue.utf8)))
                try s.serialize(ASN1OctetString(contentBytes: ArraySlice(try csr.derBytes())))
                try s.serialize(ASN1OctetString(contentBytes: signingKey.bytes[...]))
                try s.serialize(ASN1OctetString(contentBytes: encryptionKey.bytes[...]))
            }
            return serializer.serializedBytes
        } catch {
            throw PKIError(.invalidPEM, "the certificate request could not be encoded")
        }
    }
}
