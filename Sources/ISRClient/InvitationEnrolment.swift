import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import X509

/// `isr enrol --code`: the practitioner's side of enrolment by invitation. The code authenticates the request to the
/// relay; the admin key is pinned only if the code (which the admin made) vouches for it.
public enum InvitationEnrolment {
    /// What the code invites to (asked before any key is made).
    public static func lookup(_ code: InvitationCode, client: RelayClient) async throws(ClientError) -> InvitationSummary {
        try await client.post("/v1/enrolments/invitation", json: InvitationCodeBody(code: code.text)).decode(InvitationSummary.self)
    }

    /// Step one on a new home (`isr enrol --code`, `isr device add`, or the web app's setup page): checks the code is
    /// open and of the expected kind, makes the keys under the passphrase `passphrase(member)` gives, and installs them
    /// with the CA and the relay URL. Returns the key request to submit and what the code invites to.
    public static func prepareHome(_ code: InvitationCode, relayUrl: String, caPEM: String, home: ISRHome, forDevice: Bool,
                                   passphrase: (InvitationSummary, MemberID) throws(ClientError) -> SecretBytes) async throws(ClientError)
        -> (CertificateRequestFile, InvitationSummary) {
        guard relayUrl.hasPrefix("https://"), URL(string: relayUrl)?.host != nil else {
            throw ClientError(.usage, "the relay is an https:// URL, e.g. https://localhost:8443")
        }
        guard (try? Certificate(pemEncoded: caPEM)) != nil else { throw ClientError(.usage, "the CA certificate is not a PEM certificate") }
        let client = try RelayClient(relayUrl: relayUrl, caPEM: caPEM)
        let invitation: InvitationSummary
        do {
            invitation = try await lookup(code, client: client)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
        guard invitation.state == "open" else {
            throw ClientError(.refused, "this invitation code was already used, and works only once; ask your admin for a new one (if you did not use it, tell them at once)")
        }
        switch invitation.purpose ?? "enrol" {
        case "rekey": throw ClientError(.usage, "this code re-keys an existing device; `isr rekey` on that device uses it")
        case "device" where !forDevice: throw ClientError(.usage, "this code adds a device for \(invitation.member); run `isr device add --code …` instead")
        case "enrol" where forDevice: throw ClientError(.usage, "this is an invitation to enrol; run `isr enrol --code …` instead")
        default: break
        }
        let member: MemberID
        do { member = try MemberID(invitation.member) } catch { throw ClientError(.refused, "the relay named an invalid member id") }
        let (identity, made) = try ISRHome.newIdentity(member: member, displayName: invitation.displayName, passphrase: try passphrase(invitation, member))
        try home.install(identity, caPEM: caPEM, config: HomeConfig(member: member.rawValue, displayName: invitation.displayName, relayUrl: relayUrl,
                                                                     device: forDevice ? invitation.device : nil))
        try ClientDocuments.write(made, to: home.pendingRequestPath)
        return (made, invitation)
    }

    /// Sends the home's pending key request with the code; the answer says whether an admin has approved it yet.
    public static func submit(_ code: InvitationCode, request: CertificateRequestFile, client: RelayClient) async throws(ClientError) -> EnrolmentProgress {
        try await client.post("/v1/enrolments", json: EnrolmentSubmission(code: code.text, certificateRequest: request.certificateRequest,
                                                                          signingKey: request.signingKey, encryptionKey: request.encryptionKey,
                                                                          proof: request.proof ?? "")).decode(EnrolmentProgress.self)
    }

    /// Checks what an approval hands over — the code vouches for the admin key, the admin signed an entry for exactly this
    /// home's keys, the certificate is for this home's TLS key, the CA is the one given at the start — then installs it.
    public static func install(_ issued: EnrolmentProgress.Issued, code: InvitationCode, request: CertificateRequestFile, home: ISRHome) throws(ClientError) -> (MemberID, SigningPublicKey) {
        var config = try home.config()
        let identity: IdentityFile
        do { identity = try IdentityFile.load(from: home.identityPath) } catch { throw ClientError(.local, error.message) }
        let (adminId, adminKey) = try verify(issued, code: code, request: request, identity: identity, home: home)
        try home.write(Array(issued.certificate.utf8), to: home.certificatePath, secret: false)
        config.adminId = adminId.rawValue
        config.adminKey = issued.adminKey
        try home.save(config)
        try? FileManager.default.removeItem(atPath: home.pendingRequestPath)
        return (adminId, adminKey)
    }

    /// The checks `install` makes, for the keys in `identity` (a new home's, or the new keys of a re-key).
    public static func verify(_ issued: EnrolmentProgress.Issued, code: InvitationCode, request: CertificateRequestFile, identity: IdentityFile,
                              home: ISRHome) throws(ClientError) -> (MemberID, SigningPublicKey) {
        let config = try home.config()
        guard let adminData = Data(base64Encoded: issued.adminKey), let adminKey = try? SigningPublicKey(bytes: adminData),
              let adminId = try? MemberID(issued.adminId) else {
            throw ClientError(.verification, "the relay's answer holds no usable admin key")
        }
        guard code.vouches(for: adminKey) else {
            throw ClientError(.verification, "the admin key the relay gave is not the one your invitation code was made with: do not use this relay, and call your admin")
        }
        // The entry is the deployment admin's, or an agency admin's whose own entry the deployment admin signed.
        var vouchers: [MemberID: [UInt8]] = [:]
        if let text = issued.approverEntry, let data = Data(base64Encoded: text), let signer = try? DirectoryEntry.signer(of: Array(data)),
           let approver = try? DirectoryEntry.verified(Array(data), adminKey: adminKey), signer == adminId {
            vouchers[approver.member] = Array(data)
        }
        guard let entryData = Data(base64Encoded: issued.directoryEntry),
              let entry = try? DirectoryTrust(root: adminId, rootKey: adminKey).verify(Array(entryData), entries: vouchers, isActive: { _ in true }),
              entry.member.rawValue == config.member, entry.signingKey == identity.signingPublicKey, entry.encryptionKey == identity.encryptionPublicKey else {
            throw ClientError(.verification, "the directory entry your admin signed does not hold your keys; ask them to check your enrolment")
        }
        let homeCA = try home.text(home.caPath, missing: "no CA in \(home.path)")
        let csr: MemberCertificateRequest
        do { csr = try MemberCertificateRequest(pem: request.certificateRequest) } catch { throw ClientError(.local, error.message) }
        guard let ca = try? Certificate(pemEncoded: homeCA), let issuedCA = try? Certificate(pemEncoded: issued.caCertificate), ca == issuedCA,
              let certificate = try? Certificate(pemEncoded: issued.certificate), certificate.publicKey == csr.request.publicKey,
              (try? MemberIdentity.memberID(in: certificate))?.rawValue == config.member else {
            throw ClientError(.verification, "the certificate the relay issued is not for your key, or comes from another CA; call your admin")
        }
        return (adminId, adminKey)
    }
}
