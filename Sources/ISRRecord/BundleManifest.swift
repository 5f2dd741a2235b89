import Foundation

/// `manifest.json`: who exported the bundle, when, from which log, which packets, what was withheld, and every other
/// file's SHA-256 and size. Its exact bytes are what the exporter signs (`manifest.sig`).
public struct BundleManifest: Codable, Sendable, Equatable {
    public static let formatName = "isr-bundle/1"
    /// The manifest is at most 1 MiB.
    public static let maximumBytes = 1024 * 1024

    public struct File: Codable, Sendable, Equatable {
        public var name: String
        /// Lower-case hex SHA-256 of the file's bytes.
        public var sha256: String
        public var size: Int

        public init(name: String, sha256: String, size: Int) {
            self.name = name
            self.sha256 = sha256
            self.size = size
        }
    }

    public var format: String
    public var exportedBy: String
    /// Unix milliseconds.
    public var exportedAt: Int64
    /// The audit log's origin (the relay).
    public var origin: String
    /// Hex ids of the packets in `packets/`, oldest first.
    public var packets: [String]
    /// Fields withheld from this disclosure (empty for a complete bundle).
    public var redactedFields: [String]
    /// Every file but `manifest.json` and `manifest.sig`, in archive order.
    public var files: [File]

    enum CodingKeys: String, CodingKey {
        case format, origin, packets, files
        case exportedBy = "exported_by"
        case exportedAt = "exported_at"
        case redactedFields = "redacted_fields"
    }

    public init(exportedBy: String, exportedAt: Int64, origin: String, packets: [String], redactedFields: [String], files: [File]) {
        self.format = Self.formatName
        self.exportedBy = exportedBy
        self.exportedAt = exportedAt
        self.origin = origin
        self.packets = packets
        self.redactedFields = redactedFields
        self.files = files
    }

    /// Sorted keys, two-space indentation: stable bytes a person can read.
    public func encoded() -> [UInt8] {
        Array((try? BundleJSON.encoder.encode(self)) ?? Data())
    }
}

/// The JSON files of a bundle: explicit snake_case keys, sorted, pretty-printed.
enum BundleJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], name: String, limit: Int = 1024 * 1024) throws(RecordError) -> T {
        guard bytes.count <= limit, let value = try? JSONDecoder().decode(type, from: Data(bytes)) else {
            throw RecordError(.malformed, "`\(name)` is not the JSON an ISR bundle holds there")
        }
        return value
    }
}

/// `manifest.sig`: the exporting member and their Ed25519 signature over `"isr/v1/bundle-manifest" || 0x00 || manifest.json`.
struct ManifestSignature: Codable {
    var signer: String
    /// Base64, 64 bytes.
    var signature: String
}

/// `trust.json`: the anchors the bundle's proofs rest on. The verifier shows their fingerprints to compare with the ones
/// your deployment publishes (or checks them with `--admin-key` / `--relay-key`).
struct BundleTrust: Codable {
    struct Admin: Codable {
        var member: String
        var signingKey: String
        enum CodingKeys: String, CodingKey { case member; case signingKey = "signing_key" }
    }
    struct Relay: Codable {
        var origin: String
        var signingKey: String
        enum CodingKeys: String, CodingKey { case origin; case signingKey = "signing_key" }
    }
    var admin: Admin
    var relay: Relay
}

/// `openings/<id>.json`: the content key of one packet's body, so anyone can decrypt and authenticate exactly that body.
struct BundleOpening: Codable {
    var contentKey: String
    enum CodingKeys: String, CodingKey { case contentKey = "content_key" }
}

/// `audit/proofs.json`: for every leaf in `audit/leaves/`, its inclusion proof in the tree the checkpoint signs.
struct BundleProofs: Codable {
    struct Leaf: Codable {
        var index: UInt64
        /// Base64 hashes in RFC 9162 order.
        var proof: [String]
    }
    var size: UInt64
    var leaves: [Leaf]
}
