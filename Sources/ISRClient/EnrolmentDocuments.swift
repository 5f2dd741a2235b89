import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket

/// What `isr keygen --out FILE` writes for the practitioner to hand to their admin: public material only.
public struct CertificateRequestFile: Codable, Sendable, Equatable {
    public static let format = "isr-certificate-request/v2"
    public var format: String
    public var member: String
    public var displayName: String
    /// PEM CSR for the TLS key, naming the member as CN and SAN URI.
    public var certificateRequest: String
    /// Base64 Ed25519 and X25519 public keys.
    public var signingKey: String
    public var encryptionKey: String
    /// Base64 Ed25519 signature binding the keys to the certificate request (see `MemberKeyRequest`).
    /// Absent in `isr-certificate-request/v1` files, which are refused with a clear error.
    public var proof: String?
    /// The member's fingerprint as the practitioner's machine computed it; the admin's `isr` recomputes it from the keys
    /// and refuses the file if the two differ.
    public var fingerprint: String

    public init(_ request: MemberKeyRequest, displayName: String) throws(ClientError) {
        format = Self.format
        member = request.member.rawValue
        self.displayName = displayName
        do { certificateRequest = try request.certificateRequest.pem() } catch { throw ClientError(.local, error.message) }
        signingKey = Data(request.signingKey.bytes).base64EncodedString()
        encryptionKey = Data(request.encryptionKey.bytes).base64EncodedString()
        proof = Data(request.proof).base64EncodedString()
        fingerprint = request.fingerprint.description
    }

    /// The request checked: CSR, keys, proof, and the stated fingerprint against the computed one.
    public func verified(file: String) throws(ClientError) -> MemberKeyRequest {
        guard format == Self.format else {
            throw ClientError(.local, "\(file) is a `\(format)` file, not `\(Self.format)`; ask the practitioner to run `isr keygen` again with this version of isr")
        }
        let member: MemberID
        do { member = try MemberID(self.member) } catch { throw ClientError(.local, "\(file): \(error.message)") }
        do {
            return try MemberKeyRequest(certificateRequestPEM: certificateRequest, signingKey: signingKey, encryptionKey: encryptionKey, proof: proof ?? "",
                                        expected: member, statedFingerprint: fingerprint)
        } catch {
            throw ClientError(.verification, "\(file): \(error.message)")
        }
    }

    public init(member: String, displayName: String, certificateRequest: String, signingKey: String, encryptionKey: String, proof: String, fingerprint: String) {
        format = Self.format
        self.member = member
        self.displayName = displayName
        self.certificateRequest = certificateRequest
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.proof = proof
        self.fingerprint = fingerprint
    }
}

/// What `isr admin member add --out FILE` writes for the admin to hand back: the certificate, the CA, and the
/// admin's key and the directory entry they signed, which `isr enrol` checks and pins.
public struct EnrolmentFile: Codable, Sendable, Equatable {
    public static let format = "isr-enrolment/v1"
    public var format: String
    public var member: String
    public var certificate: String
    public var caCertificate: String
    public var relayUrl: String
    public var adminId: String
    /// Base64 Ed25519 key of the admin: pinned by `isr enrol`.
    public var adminKey: String
    /// Base64 `SignedDirectoryEntry` for this member.
    public var directoryEntry: String

    public init(member: String, certificate: String, caCertificate: String, relayUrl: String, adminId: String, adminKey: String, directoryEntry: String) {
        format = Self.format
        self.member = member
        self.certificate = certificate
        self.caCertificate = caCertificate
        self.relayUrl = relayUrl
        self.adminId = adminId
        self.adminKey = adminKey
        self.directoryEntry = directoryEntry
    }
}

/// Reading the JSON documents the CLI exchanges: bounded, with a one-line error naming the file.
public enum ClientDocuments {
    public static func read<T: Decodable>(_ type: T.Type, from path: String, what: String) throws(ClientError) -> T {
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(path, limit: 64 * 1024)
        } catch {
            throw ClientError(.local, "cannot read the \(what) \(path): \(error.message)")
        }
        do {
            return try ISRJSON.decoder().decode(T.self, from: Data(bytes))
        } catch {
            throw ClientError(.local, "\(path) is not an ISR \(what)")
        }
    }

    public static func write(_ value: some Encodable, to path: String) throws(ClientError) {
        do {
            try AtomicFile.write(Array(try ISRJSON.encoder(pretty: true).encode(value)) + [0x0a], to: path, mode: 0o644)
        } catch let error as CryptoError {
            throw ClientError(.local, error.message)
        } catch {
            throw ClientError(.local, "cannot write \(path)")
        }
    }
}
