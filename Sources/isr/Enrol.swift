import ArgumentParser
import Crypto
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import X509

/// `isr enrol ENROLMENT_FILE`: install the certificate your admin issued, after checking it is for your key,
/// and pin the admin's key that vouches for every directory entry.
struct Enrol: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Install your certificate and pin your admin's key from the enrolment file.")

    @Argument(help: "The enrolment file your admin gave you.") var file: String
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        let member: String
        let admin: String
        let adminFingerprint: String
    }

    func run() async throws {
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
