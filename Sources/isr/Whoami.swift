import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket

/// `isr whoami`: who this home is, which relay it uses, and the admin key it pinned (no passphrase needed).
struct Whoami: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show this home's identity, relay and pinned admin.")
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        let member: String
        let displayName: String
        let relay: String
        let fingerprint: String
        let signingKeyFingerprint: String
        let encryptionKeyFingerprint: String
        let enrolled: Bool
        let admin: String?
        let device: String
        /// Encryption keys kept from before `isr rekey`, so packets sealed to them stay readable.
        let previousKeys: Int
    }

    func run() async throws {
        let home = global.isrHome
        let config = try home.config()
        let identity: IdentityFile
        do { identity = try IdentityFile.load(from: home.identityPath) } catch { throw ClientError(.local, error.message) }
        let enrolled = config.adminKey != nil && FileManager.default.fileExists(atPath: home.certificatePath)
        let member: MemberID
        do { member = try MemberID(config.member) } catch { throw ClientError(.local, "\(home.path): \(error.message)") }
        let fingerprint = MemberFingerprint(member: member, signingKey: identity.signingPublicKey, encryptionKey: identity.encryptionPublicKey)
        let result = Result(member: config.member, displayName: config.displayName, relay: config.relayUrl, fingerprint: fingerprint.description,
                            signingKeyFingerprint: identity.signingPublicKey.fingerprint, encryptionKeyFingerprint: identity.encryptionPublicKey.fingerprint,
                            enrolled: enrolled, admin: config.adminId, device: config.deviceName, previousKeys: identity.previousEncryptionPublicKeys.count)
        Terminal.emit(result, json: global.json, human: """
            \(config.member) (\(config.displayName))
              relay:        \(config.relays(environment: ProcessInfo.processInfo.environment).joined(separator: ", "))
              fingerprint:  \(result.fingerprint)
              device:       \(config.deviceName)\(result.previousKeys > 0 ? " (keeps \(result.previousKeys) earlier key\(result.previousKeys == 1 ? "" : "s") from re-keying)" : "")
              enrolled:     \(enrolled ? "yes, admin \(config.adminId ?? "?") pinned" : "no — run `isr enrol FILE`")
            """)
    }
}
