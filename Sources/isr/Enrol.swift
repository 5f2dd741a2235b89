import ArgumentParser
import Crypto
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import X509

/// `isr enrol --code CODE --relay URL --ca CA_PEM`: enrol with an invitation — keys made here, the request sent with
/// the code, the certificate collected once an admin approved it. `isr enrol ENROLMENT_FILE`: the file-based path,
/// installing the certificate your admin issued after checking it is for your key. Either way the admin's key that
/// vouches for every directory entry is pinned.
struct Enrol: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrol with an invitation code (--code), or install the enrolment file your admin gave you.",
        discussion: """
            With --code, the first run makes your keys (you choose a passphrase) and sends the request; read the fingerprint it
            shows to your admin. Run the same command again once they approved it (or add --wait) to install your certificate.
            """)

    @Argument(help: "The enrolment file your admin gave you (the file-based path).") var file: String?
    @Option(help: "The invitation code your admin gave you, ISR-XXXXX-….") var code: String?
    @Option(help: "The relay's URL, e.g. https://relay.example:8443 (first run with --code).") var relay: String?
    @Option(help: "The deployment CA certificate (PEM) your admin gave you (first run with --code).") var ca: String?
    @OptionGroup var approval: ApprovalWait
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (file == nil) != (code == nil) else { throw ValidationError("give either an enrolment file or --code CODE") }
    }

    struct Result: Encodable {
        let member: String
        let admin: String
        let adminFingerprint: String
    }

    func run() async throws {
        if let code {
            try await Self.enrolWithCode(code, relay: relay, ca: ca, approval: approval, global: global, command: "isr enrol --code")
        } else if let file {
            try enrolFromFile(file)
        }
    }

    struct Progress: Encodable {
        let member: String
        let state: String
        let fingerprint: String
        let admin: String?
    }

    /// Enrols this home with a code: an admin's invitation, or (`command` is `isr device add`) a code for another device
    /// of a member, made on one of their devices.
    static func enrolWithCode(_ text: String, relay: String?, ca: String?, approval: ApprovalWait, global: GlobalOptions, command: String) async throws {
        let forDevice = command.hasPrefix("isr device")
        let code: InvitationCode
        do { code = try InvitationCode(parsing: text) } catch { throw ClientError(.usage, error.message) }
        let home = global.isrHome
        let request: CertificateRequestFile
        let relayUrl: String, caPEM: String
        var madeHere = false
        if home.hasIdentity {
            let config = try home.config()
            guard !FileManager.default.fileExists(atPath: home.certificatePath) else {
                throw ClientError(.local, "\(home.path) is already enrolled as \(config.member); nothing to do")
            }
            request = try ClientDocuments.read(CertificateRequestFile.self, from: home.pendingRequestPath, what: "pending enrolment request")
            (relayUrl, caPEM) = (config.relayUrl, try home.text(home.caPath, missing: "no CA in \(home.path)"))
        } else {
            guard let relay, let ca else { throw ClientError(.usage, "the first `isr enrol --code` needs --relay URL and --ca CA_PEM from your admin") }
            (relayUrl, caPEM) = (relay, try home.text(ca, missing: "cannot read the CA certificate \(ca)"))
            let (made, invitation) = try await InvitationEnrolment.prepareHome(code, relayUrl: relay, caPEM: caPEM, home: home, forDevice: forDevice) {
                invitation, member throws(ClientError) in
                Terminal.note("Invitation for \(member) (\(Terminal.clean(invitation.displayName))), \(invitation.role) at \(Terminal.clean(invitation.agencyName)).")
                return try global.passphrase.read(purpose: "your new identity \(member)", confirm: true)
            }
            if forDevice { Terminal.note("This machine becomes \(invitation.member)'s device `\(invitation.device ?? "?")`.") }
            madeHere = true
            request = made
        }
        let progress = try await using(try RelayClient(relayUrl: relayUrl, caPEM: caPEM)) { client in
            let progress: EnrolmentProgress
            do {
                progress = try await InvitationEnrolment.submit(code, request: request, client: client)
            } catch where madeHere {
                // The relay refused the first submission: leave no identity behind that no one can enrol.
                home.removeNewIdentity()
                throw error
            }
            return try await approval.poll(progress) { try await InvitationEnrolment.submit(code, request: request, client: client) }
        }
        guard let issued = progress.enrolment else {
            Terminal.emit(Progress(member: progress.member, state: progress.state, fingerprint: progress.fingerprint, admin: nil), json: global.json, human: """
                Your request is with your admin, waiting for approval. When they call, read them your fingerprint:
                  \(progress.fingerprint)
                Then run `\(command) …` again (or with --wait) to install your certificate.
                """)
            if approval.wait { throw ClientError(.network, "no approval within \(approval.timeout) seconds; run the command again later") }
            return
        }
        let (admin, adminKey) = try InvitationEnrolment.install(issued, code: code, request: request, home: home)
        Terminal.emit(Progress(member: progress.member, state: "enrolled", fingerprint: progress.fingerprint, admin: admin.rawValue), json: global.json, human: """
            Enrolled as \(progress.member) with \(relayUrl); your fingerprint is \(progress.fingerprint).
            Pinned admin \(admin), key fingerprint \(adminKey.fingerprint): every recipient you send to is checked against it.
            """)
    }

    func enrolFromFile(_ file: String) throws {
        let home = global.isrHome
        var config = try home.config()
        let enrolment = try ClientDocuments.read(EnrolmentFile.self, from: file, what: "enrolment file")
        guard enrolment.format == EnrolmentFile.format else { throw ClientError(.local, "\(file) is not an \(EnrolmentFile.format) file") }
        guard enrolment.member == config.member else {
            throw ClientError(.verification, "\(file) enrols \(enrolment.member), but this home is \(config.member)")
        }
        let keys = try home.unlock(global.passphrase)
        let homeCA = try home.text(home.caPath, missing: "no CA in \(home.path); run `isr keygen` first")
        guard let ca = try? Certificate(pemEncoded: homeCA), let issuedCA = try? Certificate(pemEncoded: enrolment.caCertificate), ca == issuedCA else {
            throw ClientError(.verification, "the enrolment file's CA differs from the one you were given at keygen: do not use it, and call your admin")
        }
        guard let certificate = try? Certificate(pemEncoded: enrolment.certificate),
              let member = try? MemberIdentity.memberID(in: certificate), member.rawValue == config.member,
              let scalar = keys.tlsKey, let tlsKey = try? scalar.withUnsafeBytes({ try P256.Signing.PrivateKey(rawRepresentation: $0) }),
              certificate.publicKey == Certificate.PublicKey(tlsKey.publicKey) else {
            throw ClientError(.verification, "the certificate in \(file) is not for your key and member id; ask your admin to issue it again from your request")
        }
        guard let adminData = Data(base64Encoded: enrolment.adminKey), let adminKey = try? SigningPublicKey(bytes: adminData),
              let entryData = Data(base64Encoded: enrolment.directoryEntry) else {
            throw ClientError(.verification, "\(file) does not hold a usable admin key and directory entry")
        }
        let entry: DirectoryEntry
        do {
            entry = try DirectoryEntry.verified(Array(entryData), adminKey: adminKey)
        } catch {
            throw ClientError(.verification, "your directory entry is not signed by the admin key in \(file): \(error.message)")
        }
        guard entry.member.rawValue == config.member, entry.signingKey == keys.signing.publicKey, entry.encryptionKey == keys.encryption.publicKey else {
            throw ClientError(.verification, "the directory entry your admin signed does not hold your keys; ask them to enrol you again")
        }
        try home.write(Array(enrolment.certificate.utf8), to: home.certificatePath, secret: false)
        config.adminId = enrolment.adminId
        config.adminKey = enrolment.adminKey
        config.relayUrl = enrolment.relayUrl
        try home.save(config)
        Terminal.emit(Result(member: config.member, admin: enrolment.adminId, adminFingerprint: adminKey.fingerprint), json: global.json, human: """
            Enrolled as \(config.member) with \(enrolment.relayUrl).
            Pinned admin \(enrolment.adminId), key fingerprint \(adminKey.fingerprint): every recipient you send to is checked against it.
            """)
    }
}
