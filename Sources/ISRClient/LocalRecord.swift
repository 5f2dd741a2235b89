import Foundation
import ISRCrypto
import ISRPacket

/// The practitioner's own record of what they sent, received, read back, confirmed and decided: each entry is
/// the exact signed packet plus its readable body, sealed to the practitioner's own X25519 key, in `records/`.
/// `isr status` and `isr audit show` read it offline.
public struct LocalRecord: Sendable {
    public let home: ISRHome

    public init(home: ISRHome) {
        self.home = home
    }

    public struct Entry: Codable, Sendable, Equatable {
        /// sent | received
        public var direction: String
        public var id: String
        public var kind: String
        public var sender: String
        public var recipients: [String]
        public var purpose: String
        /// Unix milliseconds when recorded here.
        public var recordedAt: Int64
        /// Base64 packet bytes (signed by its sender).
        public var packet: String
        /// Base64 DER body, as sent or as opened.
        public var body: String
        /// What the relay said: state, leaf index.
        public var state: String?
        public var leafIndex: UInt64?
        /// Base64 content key of the packet's body: lets an evidence bundle prove the body to anyone (absent in records
        /// made before it was kept).
        public var contentKey: String? = nil
    }

    var directory: String { home.path + "/records" }

    /// Seals `entry` to this identity's own key and writes it atomically (mode 0600).
    public func save(_ entry: Entry, keys: PractitionerKeys) throws(ClientError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ClientError(.local, "cannot create \(directory)")
        }
        let plaintext = (try? ISRJSON.encoder().encode(entry)) ?? Data()
        var bytes = Array(plaintext)
        let sealed = keys.encryption.publicKey.seal(SecretBytes(consuming: &bytes))
        try home.write(sealed, to: "\(directory)/\(entry.direction)-\(entry.id).record", secret: true)
    }

    /// One entry (`direction` is sent or received), if this home recorded it and can open it.
    public func entry(_ id: PacketID, direction: String, keys: PractitionerKeys) -> Entry? {
        guard let sealed = try? AtomicFile.read("\(directory)/\(direction)-\(id.hex).record", limit: 512 * 1024),
              let opened = try? keys.open(sealed) else { return nil }
        return try? ISRJSON.decoder().decode(Entry.self, from: opened.withUnsafeBytes { Data($0) })
    }

    /// Every entry this identity can open, newest first.
    public func entries(keys: PractitionerKeys) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".record") }.compactMap { name in
            guard let sealed = try? AtomicFile.read("\(directory)/\(name)", limit: 512 * 1024),
                  let opened = try? keys.open(sealed) else { return nil }
            return try? ISRJSON.decoder().decode(Entry.self, from: opened.withUnsafeBytes { Data($0) })
        }.sorted { $0.recordedAt > $1.recordedAt }
    }
}
