import Foundation
import ISRCrypto
import ISRPacket

/// Everything an evidence bundle holds, before it is written: exact packet bytes, the content keys that prove their
/// bodies, the signed directory entries and trust anchors, the relay's signed checkpoint, leaves and inclusion proofs,
/// and the human-readable report. `write(signedBy:)` lays it out as a canonical tar with a signed manifest.
public struct EvidenceBundle: Sendable {
    public struct Packet: Sendable {
        public var bytes: [UInt8]
        /// The body's content key; nil when the body is withheld (redacted) or this member never held it.
        public var contentKey: [UInt8]?

        public init(bytes: [UInt8], contentKey: [UInt8]?) {
            self.bytes = bytes
            self.contentKey = contentKey
        }
    }

    public struct Leaf: Sendable {
        public var index: UInt64
        public var data: [UInt8]
        public var proof: [[UInt8]]

        public init(index: UInt64, data: [UInt8], proof: [[UInt8]]) {
            self.index = index
            self.data = data
            self.proof = proof
        }
    }

    public var exporter: MemberID
    public var exportedAt: Int64
    public var admin: MemberID
    public var adminKey: SigningPublicKey
    public var origin: String
    public var relayKey: SigningPublicKey
    /// Signed directory entries of every party and of the admins who vouch for them.
    public var directoryEntries: [[UInt8]]
    /// By packet id, oldest first.
    public var packets: [(id: PacketID, packet: Packet)]
    /// The encoded `SignedCheckpoint` every proof is against, and the size it signs.
    public var checkpoint: [UInt8]
    public var checkpointSize: UInt64
    public var leaves: [Leaf]
    public var report: String
    public var redactedFields: [String]

    public init(exporter: MemberID, exportedAt: Int64, admin: MemberID, adminKey: SigningPublicKey, origin: String, relayKey: SigningPublicKey,
                directoryEntries: [[UInt8]], packets: [(id: PacketID, packet: Packet)], checkpoint: [UInt8], checkpointSize: UInt64,
                leaves: [Leaf], report: String, redactedFields: [String]) {
        self.exporter = exporter
        self.exportedAt = exportedAt
        self.admin = admin
        self.adminKey = adminKey
        self.origin = origin
        self.relayKey = relayKey
        self.directoryEntries = directoryEntries
        self.packets = packets
        self.checkpoint = checkpoint
        self.checkpointSize = checkpointSize
        self.leaves = leaves
        self.report = report
        self.redactedFields = redactedFields
    }

    /// The bundle file and the SHA-256 of its manifest (what the relay's `record.exported` leaf records).
    public func write(signedBy key: SigningKeyPair) throws(RecordError) -> (bytes: [UInt8], manifestDigest: [UInt8]) {
        var files: [(name: String, bytes: [UInt8])] = [("report.html", Array(report.utf8))]
        let trust = BundleTrust(admin: .init(member: admin.rawValue, signingKey: Data(adminKey.bytes).base64EncodedString()),
                                relay: .init(origin: origin, signingKey: Data(relayKey.bytes).base64EncodedString()))
        files.append(("trust.json", try json(trust)))
        for (n, entry) in directoryEntries.enumerated() { files.append((BundlePaths.directoryEntry(n), entry)) }
        for (id, packet) in packets {
            files.append((BundlePaths.packet(id), packet.bytes))
            if let key = packet.contentKey {
                files.append((BundlePaths.opening(id), try json(BundleOpening(contentKey: Data(key).base64EncodedString()))))
            }
        }
        files.append((BundlePaths.checkpoint, checkpoint))
        let sorted = leaves.sorted { $0.index < $1.index }
        for leaf in sorted { files.append((BundlePaths.leaf(leaf.index), leaf.data)) }
        files.append((BundlePaths.proofs, try json(BundleProofs(size: checkpointSize, leaves: sorted.map {
            BundleProofs.Leaf(index: $0.index, proof: $0.proof.map { Data($0).base64EncodedString() })
        }))))
        let manifest = BundleManifest(exportedBy: exporter.rawValue, exportedAt: exportedAt, origin: origin, packets: packets.map(\.id.hex),
                                      redactedFields: redactedFields,
                                      files: files.map { BundleManifest.File(name: $0.name, sha256: Hex.encode(SHA256.hash($0.bytes)), size: $0.bytes.count) })
        let manifestBytes = manifest.encoded()
        let signature = ManifestSignature(signer: exporter.rawValue,
                                          signature: Data(key.sign(manifestBytes, context: .bundleManifest)).base64EncodedString())
        let archive = try CanonicalTar.write([(BundlePaths.manifest, manifestBytes), (BundlePaths.signature, try json(signature))] + files)
        return (archive, SHA256.hash(manifestBytes))
    }

    func json(_ value: some Encodable) throws(RecordError) -> [UInt8] {
        guard let data = try? BundleJSON.encoder.encode(value) else { throw RecordError(.unsupported, "a bundle file could not be encoded") }
        return Array(data)
    }
}

/// Where each kind of file lives in a bundle.
public enum BundlePaths {
    public static let manifest = "manifest.json"
    public static let signature = "manifest.sig"
    public static let report = "report.html"
    public static let trust = "trust.json"
    public static let checkpoint = "audit/checkpoint.der"
    public static let proofs = "audit/proofs.json"
    static func directoryEntry(_ n: Int) -> String { "directory/\(String(format: "%04d", n)).der" }
    static func packet(_ id: PacketID) -> String { "packets/\(id.hex).isr" }
    static func opening(_ id: PacketID) -> String { "openings/\(id.hex).json" }
    static func leaf(_ index: UInt64) -> String { "audit/leaves/\(index).der" }
}
