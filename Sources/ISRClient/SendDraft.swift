import Foundation
import ISRCrypto

/// The answers of an interrupted `isr send`, kept in the home so that `isr send --resume` goes on from them. A draft
/// holds what is about to be shared, so it is sealed to the practitioner's own key like their record; it is replaced
/// after every answer and removed once the share is sent.
public struct SendDraft: Sendable {
    public let home: ISRHome

    public init(home: ISRHome) {
        self.home = home
    }

    /// Plain JSON coding: ShareFile's keys are already the share file's snake_case names.
    struct Stored: Codable {
        var savedAt: Int64
        var share: ShareFile
    }

    var path: String { home.path + "/drafts/send.draft" }

    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Seals `share` to this identity's own key and writes it atomically (mode 0600).
    public func save(_ share: ShareFile, keys: PractitionerKeys) throws(ClientError) {
        do {
            try FileManager.default.createDirectory(atPath: home.path + "/drafts", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ClientError(.local, "cannot create \(home.path)/drafts")
        }
        var bytes = Array((try? JSONEncoder().encode(Stored(savedAt: Int64(Date().timeIntervalSince1970 * 1000), share: share))) ?? Data())
        try home.write(keys.encryption.publicKey.seal(SecretBytes(consuming: &bytes)), to: path, secret: true)
    }

    /// The draft and when it was saved; nil when there is none. A draft this identity cannot open is an error.
    public func load(keys: PractitionerKeys) throws(ClientError) -> (share: ShareFile, savedAt: Int64)? {
        guard exists else { return nil }
        guard let sealed = try? AtomicFile.read(path, limit: 512 * 1024), let opened = try? keys.open(sealed),
              let stored = try? JSONDecoder().decode(Stored.self, from: opened.withUnsafeBytes { Data($0) }) else {
            throw ClientError(.local, "the draft in \(path) cannot be opened with your keys; remove it to start again")
        }
        return (stored.share, stored.savedAt)
    }

    public func discard() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
