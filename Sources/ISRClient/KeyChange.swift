import Crypto
import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

/// A member's own key changes, asked from a device they already have: `isr device invite` opens a code for another device
/// (used there with `isr device add`), and `isr rekey` replaces this device's keys. Either way an admin approves the new
/// keys' fingerprint as in an enrolment; a re-key keeps the old encryption keys in the identity file so packets sealed to
/// them stay readable.
public enum KeyChange {
    /// What `isr rekey` keeps between its first run and the one that installs the approved keys.
    public struct PendingRekey: Codable, Sendable {
        public var code: String
        public var request: CertificateRequestFile
    }

    public static func pendingRequestPath(_ home: ISRHome) -> String { home.path + "/rekey-request.json" }
    /// The new identity (new keys, the old encryption keys kept), sealed under the same passphrase, waiting for approval.
    public static func pendingIdentityPath(_ home: ISRHome) -> String { home.path + "/rekey-identity.json" }

    /// Opens a code on the relay for `purpose` (`device` or `rekey`) and `device`; the code is made here, tagged with the
    /// pinned admin key, and only its hash is sent.
    public static func openCode(purpose: String, device: String, expiresInSeconds: Int64, session: Session) async throws(ClientError) -> (InvitationCode, InvitationBody) {
        let code = InvitationCode.generate(adminKey: session.trust.rootKey)
        let body = try await session.client.post("/v1/devices/invitations", json: KeyRequestBody(
            purpose: purpose, device: device, codeHash: Data(code.hash).base64EncodedString(), expiresInSeconds: expiresInSeconds)).decode(InvitationBody.self)
        return (code, body)
    }

    /// First run of `isr rekey`: new keys sealed under `passphrase` (the one that unlocked the session's keys), the request
    /// opened and submitted. Nothing replaces the current identity until an admin approves.
    public static func startRekey(session: Session, passphrase: SecretBytes) async throws(ClientError) -> EnrolmentProgress {
        let home = session.home
        let config = try home.config()
        let current: IdentityFile
        do { current = try IdentityFile.load(from: home.identityPath) } catch { throw ClientError(.local, error.message) }
        let keys = session.keys
        let tlsKey = P256.Signing.PrivateKey()
        let newKeys: PractitionerKeys
        do {
            newKeys = try keys.rekeyed(tlsKey: SecretBytes(count: 32) { out in tlsKey.rawRepresentation.withUnsafeBytes { out.copyMemory(from: $0) } })
        } catch { throw ClientError(.local, error.message) }
        let request: MemberKeyRequest
        do { request = try MemberKeyRequest(member: session.me, signing: newKeys.signing, encryptionKey: newKeys.encryption.publicKey, tlsKey: tlsKey) } catch {
            throw ClientError(.local, error.message)
        }
        let identity: IdentityFile
        do { identity = try IdentityFile.seal(identity: session.me.rawValue, keys: newKeys, passphrase: passphrase, kdf: current.kdf.withFreshSalt()) } catch {
            throw ClientError(.local, error.message)
        }
        let file = try CertificateRequestFile(request, displayName: config.displayName)
        let (code, _) = try await openCode(purpose: "rekey", device: config.deviceName, expiresInSeconds: 7 * 86_400, session: session)
        do { try identity.save(to: pendingIdentityPath(home)) } catch { throw ClientError(.local, error.message) }
        try home.write(Array((try? ISRJSON.encoder(pretty: true).encode(PendingRekey(code: code.text, request: file))) ?? Data()), to: pendingRequestPath(home), secret: true)
        return try await InvitationEnrolment.submit(code, request: file, client: session.client)
    }

    /// The pending re-key of `home`, if `isr rekey` was started there.
    public static func pendingRekey(_ home: ISRHome) throws(ClientError) -> PendingRekey? {
        guard FileManager.default.fileExists(atPath: pendingRequestPath(home)) else { return nil }
        return try ClientDocuments.read(PendingRekey.self, from: pendingRequestPath(home), what: "pending re-key")
    }

    /// Asks again where the pending re-key stands (the same request; the relay answers with the certificate once approved).
    public static func progress(_ pending: PendingRekey, client: RelayClient) async throws(ClientError) -> EnrolmentProgress {
        let code: InvitationCode
        do { code = try InvitationCode(parsing: pending.code) } catch { throw ClientError(.local, "the pending re-key's code is unreadable: \(error.message)") }
        return try await InvitationEnrolment.submit(code, request: pending.request, client: client)
    }

    /// Installs approved new keys: checks them as an enrolment is checked (and that the same deployment admin vouches), then
    /// replaces the identity file and the certificate. The old encryption keys stay in the new identity file.
    public static func installRekey(_ issued: EnrolmentProgress.Issued, pending: PendingRekey, home: ISRHome) throws(ClientError) {
        let config = try home.config()
        let identity: IdentityFile
        do { identity = try IdentityFile.load(from: pendingIdentityPath(home)) } catch { throw ClientError(.local, error.message) }
        let code: InvitationCode
        do { code = try InvitationCode(parsing: pending.code) } catch { throw ClientError(.local, error.message) }
        let (adminId, _) = try InvitationEnrolment.verify(issued, code: code, request: pending.request, identity: identity, home: home)
        guard adminId.rawValue == config.adminId, issued.adminKey == config.adminKey else {
            throw ClientError(.verification, "the re-key was answered for another deployment admin than the one this home pinned; do not use this relay, and call your admin")
        }
        // The certificate goes first: if the identity write then failed, running `isr rekey` again finishes the job.
        try home.write(Array(issued.certificate.utf8), to: home.certificatePath, secret: false)
        do { try identity.save(to: home.identityPath) } catch { throw ClientError(.local, error.message) }
        try? FileManager.default.removeItem(atPath: pendingIdentityPath(home))
        try? FileManager.default.removeItem(atPath: pendingRequestPath(home))
    }
}
