import Foundation

/// A member's question "what do I hold about this case?". Sent in a body, not a URL, so the subject reference never
/// reaches an access log.
public struct RecordQuery: Codable, Sendable, Equatable {
    public let subjectReference: String

    public init(subjectReference: String) {
        self.subjectReference = subjectReference
    }
}

/// A member tells the relay they exported evidence: which packets, and the SHA-256 of the signed manifest, so the
/// export is itself a leaf of the audit log (never the subject reference or any content).
public struct ExportNotice: Codable, Sendable, Equatable {
    /// Hex packet ids in the bundle (at most 500).
    public let packets: [String]
    /// Hex SHA-256 of the bundle's `manifest.json`.
    public let manifestDigest: String
    /// True when fields were withheld (a redacted disclosure bundle).
    public let redacted: Bool

    public init(packets: [String], manifestDigest: String, redacted: Bool) {
        self.packets = packets
        self.manifestDigest = manifestDigest
        self.redacted = redacted
    }
}

/// The audit leaf that recorded an export.
public struct ExportReceipt: Codable, Sendable, Equatable {
    public let leafIndex: UInt64
    public let recordedAt: Int64

    public init(leafIndex: UInt64, recordedAt: Int64) {
        self.leafIndex = leafIndex
        self.recordedAt = recordedAt
    }
}
