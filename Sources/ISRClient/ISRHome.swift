import Crypto
import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket
import X509

/// A practitioner's ISR home (`--home`, `ISR_HOME`, default `~/.isr`): their encrypted identity (Ed25519, X25519
/// and TLS keys), client certificate, the deployment CA, and `config.json` with the relay and the pinned admin key.
public struct ISRHome: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `--home` if given, else `ISR_HOME`, else `~/.isr`.
    public static func resolve(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> ISRHome {
        if let option { return ISRHome(path: option) }
        if let value = environment["ISR_HOME"], !value.isEmpty { return ISRHome(path: value) }
        return ISRHome(path: (environment["HOME"] ?? NSHomeDirectory()) + "/.isr")
    }

    public var identityPath: String { path + "/identity.json" }
    public var certificatePath: String { path + "/certificate.pem" }
    public var caPath: String { path + "/ca.pem" }
    public var configPath: String { path + "/config.json" }

    public var hasIdentity: Bool { FileManager.default.fileExists(atPath: identityPath) }

    /// Creates the directory with mode 0700.
    public func create() throws(ClientError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ClientError(.local, "cannot create the ISR home \(path): \(error.localizedDescription)")
        }
    }

    public func config() throws(ClientError) -> HomeConfig {
        guard let data = FileManager.default.contents(atPath: configPath), data.count <= 64 * 1024 else {
            throw ClientError(.local, "no ISR identity in \(path); run `isr keygen` first (or pass --home)")
        }
        do {
            return try ISRJSON.decoder().decode(HomeConfig.self, from: data)
        } catch {
            throw ClientError(.local, "\(configPath) is damaged; restore it from a backup or make a new identity")
        }
    }

    public func save(_ config: HomeConfig) throws(ClientError) {
        try write(Array((try? ISRJSON.encoder(pretty: true).encode(config)) ?? Data()) + [0x0a], to: configPath, secret: false)
    }

    /// Unlocks the identity: from the running unlock agent if there is one (`isr unlock`), else with the passphrase
    /// (the only place it is used).
    public func unlock(_ source: PassphraseSource) throws(ClientError) -> PractitionerKeys {
        guard hasIdentity else { throw ClientError(.local, "no ISR identity in \(path); run `isr keygen` first (or pass --home)") }
        if let keys = KeyAgent.keys(for: self) { return keys }
        return try unlockWithPassphrase(source)
    }

    /// Unlocks the identity with the passphrase, never asking an agent.
    public func unlockWithPassphrase(_ source: PassphraseSource) throws(ClientError) -> PractitionerKeys {
        guard hasIdentity else { throw ClientError(.local, "no ISR identity in \(path); run `isr keygen` first (or pass --home)") }
        let file: IdentityFile
        do {
            file = try IdentityFile.load(from: identityPath)
        } catch {
            throw ClientError(.local, "no usable identity in \(path): \(error.message)")
        }
        let passphrase = try source.read(purpose: file.identity)
        do {
            return try file.unlock(passphrase: passphrase)
        } catch {
            throw ClientError(.local, error.message)
        }
    }

    /// The PEM text of a file in the home (bounded), or a clear error naming what to run.
    public func text(_ file: String, missing: String) throws(ClientError) -> String {
        do {
            return String(decoding: try AtomicFile.read(file, limit: 64 * 1024), as: UTF8.self)
        } catch {
            throw ClientError(.local, missing)
        }
    }

    public func write(_ bytes: [UInt8], to file: String, secret: Bool) throws(ClientError) {
        do {
            try AtomicFile.write(bytes, to: file, mode: secret ? 0o600 : 0o644)
        } catch {
            throw ClientError(.local, error.message)
        }
    }

    /// The admin key this home pinned at enrolment.
    public func pinnedAdminKey() throws(ClientError) -> (MemberID, SigningPublicKey) {
        let config = try config()
        guard let id = config.adminId, let text = config.adminKey, let data = Data(base64Encoded: text),
              let member = try? MemberID(id), let key = try? SigningPublicKey(bytes: data) else {
            throw ClientError(.local, "this identity is not enrolled yet; run `isr enrol ENROLMENT_FILE` with the file your admin gave you")
        }
        return (member, key)
    }
}
