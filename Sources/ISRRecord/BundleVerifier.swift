import Foundation
import ISRAudit
import ISRCrypto
import ISRPacket

/// What a bundle proves, as checked offline: every file against the exporter's signed manifest, every directory entry
/// against the admin key, every packet's signature, every body whose content key is included, every receipt and
/// countersignature, every leaf's inclusion in the log the relay signed.
public struct BundleVerification: Sendable, Codable, Equatable {
    public struct PacketProof: Sendable, Codable, Equatable {
        public var id: String
        public var kind: String
        public var purpose: String
        public var sender: String
        public var acceptedAt: Int64
        public var acceptedLeaf: UInt64
        /// True when the body was decrypted and authenticated with its content key; false when withheld.
        public var bodyProven: Bool
        /// What the log proves happened to it, oldest first (one line each).
        public var events: [String]
    }

    public var exporter: String
    public var exportedAt: Int64
    public var origin: String
    public var logSize: UInt64
    public var checkpointTime: Int64
    public var adminFingerprint: String
    public var relayFingerprint: String
    public var leaves: Int
    public var redactedFields: [String]
    public var packets: [PacketProof]
    /// The proofs that do not hold for a redacted bundle, said plainly.
    public var limits: [String]

    /// The human-readable account `isr verify-bundle` prints.
    public var text: String {
        var lines = ["Bundle exported by \(exporter) at \(RecordTime.text(exportedAt)): every file matches the manifest they signed."]
        for packet in packets {
            lines.append("")
            lines += packet.events
        }
        lines.append("")
        lines.append("All \(leaves) events are in log \(origin) of size \(logSize) (checkpoint of \(RecordTime.text(checkpointTime)), signed by relay key \(relayFingerprint)).")
        lines.append("Signers are vouched for by admin key \(adminFingerprint): compare both fingerprints with the ones your deployment publishes.")
        lines += limits
        return lines.joined(separator: "\n")
    }
}

public enum BundleVerifier {
    /// Verifies `bytes` without a relay, a home or a network. `adminKey`/`relayKey` (fingerprints), when given, must match
    /// the bundle's trust anchors.
    public static func verify(_ bytes: [UInt8], adminKey expectedAdmin: String? = nil, relayKey expectedRelay: String? = nil) throws(RecordError) -> BundleVerification {
        let files = try CanonicalTar.read(bytes)
        guard files.count >= 2, files[0].name == BundlePaths.manifest, files[1].name == BundlePaths.signature else {
            throw RecordError(.malformed, "not an ISR bundle: it must start with manifest.json and manifest.sig")
        }
        let byName = Dictionary(files.map { ($0.name, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        func file(_ name: String) throws(RecordError) -> [UInt8] {
            guard let bytes = byName[name] else { throw RecordError(.malformed, "the bundle has no `\(name)`") }
            return bytes
        }

        // 1. The trust anchors and directory are read only to find the exporter's keys; the manifest signature then binds them.
        let trust = try BundleJSON.decode(BundleTrust.self, try file(BundlePaths.trust), name: BundlePaths.trust, limit: 4096)
        guard let admin = try? MemberID(trust.admin.member), let adminKeyData = Data(base64Encoded: trust.admin.signingKey),
              let adminKey = try? SigningPublicKey(bytes: adminKeyData),
              let relayKeyData = Data(base64Encoded: trust.relay.signingKey), let relayKey = try? SigningPublicKey(bytes: relayKeyData) else {
            throw RecordError(.malformed, "trust.json does not hold an admin id and two Ed25519 keys")
        }
        let directory = try BundleDirectory(entries: files.filter { $0.name.hasPrefix("directory/") }.map(\.bytes), admin: admin, adminKey: adminKey)
        let signature = try BundleJSON.decode(ManifestSignature.self, files[1].bytes, name: BundlePaths.signature, limit: 1024)
        // The one file no hash covers: it must be exactly as the writer lays it out, so no byte of it can change unnoticed.
        guard (try? BundleJSON.encoder.encode(signature)).map(Array.init) == files[1].bytes else {
            throw RecordError(.altered, "manifest.sig is not in its canonical form: the bundle was altered")
        }
        guard let exporter = try? MemberID(signature.signer), let signatureBytes = Data(base64Encoded: signature.signature).map(Array.init) else {
            throw RecordError(.malformed, "manifest.sig does not name a member and a signature")
        }
        let manifestBytes = files[0].bytes
        guard directory.keys(of: exporter).contains(where: { $0.isValidSignature(signatureBytes, for: manifestBytes, context: .bundleManifest) }) else {
            throw RecordError(.unverified, "the manifest is not signed by \(exporter) with a key the bundle's directory vouches for: the bundle was altered")
        }
        let manifest = try BundleJSON.decode(BundleManifest.self, manifestBytes, name: BundlePaths.manifest, limit: BundleManifest.maximumBytes)
        guard manifest.format == BundleManifest.formatName, manifest.exportedBy == exporter.rawValue, manifest.origin == trust.relay.origin else {
            throw RecordError(.malformed, "the manifest is not an \(BundleManifest.formatName) manifest by \(exporter) for log \(trust.relay.origin)")
        }
        // 2. Every other file is exactly as the manifest lists it, in order, nothing more.
        let rest = files.dropFirst(2)
        guard manifest.files.map(\.name) == rest.map(\.name) else {
            throw RecordError(.altered, "the bundle's files are not the ones its signed manifest lists: a file was added, removed or renamed")
        }
        for (listed, actual) in zip(manifest.files, rest) {
            guard listed.size == actual.bytes.count, ConstantTime.equal(Hex.decode(listed.sha256) ?? [], SHA256.hash(actual.bytes)) else {
                throw RecordError(.altered, "`\(actual.name)` is not the file the exporter signed: a byte of it was changed")
            }
        }
        if let expectedAdmin, adminKey.fingerprint != expectedAdmin {
            throw RecordError(.unverified, "the bundle's admin key is \(adminKey.fingerprint), not the \(expectedAdmin) you expected")
        }
        if let expectedRelay, relayKey.fingerprint != expectedRelay {
            throw RecordError(.unverified, "the bundle's relay key is \(relayKey.fingerprint), not the \(expectedRelay) you expected")
        }

        // 3. The checkpoint, and every leaf's inclusion in the tree it signs.
        let checkpoint: Checkpoint
        do {
            checkpoint = try SignedCheckpoint(encoded: try file(BundlePaths.checkpoint)).verified(with: relayKey)
        } catch let error as RecordError {
            throw error
        } catch {
            throw RecordError(.unverified, "the checkpoint is not signed by the bundle's relay key")
        }
        guard checkpoint.origin == trust.relay.origin else { throw RecordError(.unverified, "the checkpoint is for log \(checkpoint.origin), not \(trust.relay.origin)") }
        let proofs = try BundleJSON.decode(BundleProofs.self, try file(BundlePaths.proofs), name: BundlePaths.proofs, limit: 8 * 1024 * 1024)
        guard proofs.size == checkpoint.size else { throw RecordError(.malformed, "audit/proofs.json is for a tree of \(proofs.size) leaves, the checkpoint signs \(checkpoint.size)") }
        let leafFiles = rest.filter { $0.name.hasPrefix("audit/leaves/") }
        guard leafFiles.map(\.name) == proofs.leaves.map({ BundlePaths.leaf($0.index) }) else {
            throw RecordError(.malformed, "audit/proofs.json does not list exactly the leaves in audit/leaves/")
        }
        var events: [(index: UInt64, event: AuditEvent)] = []
        for (leaf, data) in zip(proofs.leaves, leafFiles.map(\.bytes)) {
            guard leaf.index < checkpoint.size else {
                throw RecordError(.unverified, "the checkpoint (size \(checkpoint.size)) does not extend to leaf \(leaf.index): nothing proves that event is in the log")
            }
            guard let event = try? AuditEvent(derEncoded: data) else { throw RecordError(.malformed, "leaf \(leaf.index) is not a canonical audit event") }
            let path = leaf.proof.compactMap { Data(base64Encoded: $0).map(Array.init) }
            do {
                guard path.count == leaf.proof.count else { throw AuditError(.inclusionFailed, "a proof hash is not base64") }
                try MerkleVerifier.verifyInclusion(leafHash: MerkleHash.leaf(data), index: leaf.index, size: checkpoint.size, proof: path, root: checkpoint.root)
            } catch {
                throw RecordError(.unverified, "leaf \(leaf.index) is not in the log the checkpoint signs: its inclusion proof fails")
            }
            events.append((leaf.index, event))
        }

        // 4. Every packet: signature by a vouched-for key, its acceptance leaf, its body, its receipts and countersignatures.
        var proven: [BundleVerification.PacketProof] = []
        for text in manifest.packets {
            guard let id = try? PacketID(hex: text) else { throw RecordError(.malformed, "the manifest lists `\(text.prefix(40))`, which is not a packet id") }
            let bytes = try file(BundlePaths.packet(id))
            let sealed: SealedPacket
            let header: PacketHeader
            do {
                sealed = try SealedPacket(encoded: bytes)
                let claimed = try PacketHeader(derEncoded: sealed.headerBytes)
                header = try sealed.verifiedHeader(signedByAnyOf: directory.keys(of: claimed.sender), expectedSender: claimed.sender)
            } catch {
                throw RecordError(.unverified, "packet \(id) is not signed by its sender with a key the bundle's directory vouches for: \(error.message)")
            }
            guard header.id == id else { throw RecordError(.unverified, "packets/\(id.hex).isr holds packet \(header.id)") }
            let digest = Hex.encode(SHA256.hash(bytes))
            let mine = events.filter { $0.event.packetID == id.bytes }
            guard let accepted = mine.first(where: { $0.event.attributes.contains { $0.key == "digest" } }) else {
                throw RecordError(.unverified, "the bundle holds no log leaf recording the relay's acceptance of packet \(id)")
            }
            guard accepted.event.attributes.contains(where: { $0.key == "digest" && $0.value == digest }), accepted.event.actor == header.sender.rawValue else {
                throw RecordError(.unverified, "the log records packet \(id) with other bytes or another sender than the bundle holds")
            }
            var bodyProven = false
            var bodyNote = "body withheld from this bundle (its content key is not included)"
            if let opening = byName[BundlePaths.opening(id)] {
                let parsed = try BundleJSON.decode(BundleOpening.self, opening, name: BundlePaths.opening(id), limit: 1024)
                guard let keyData = Data(base64Encoded: parsed.contentKey), let key = contentKey(Array(keyData)) else {
                    throw RecordError(.malformed, "\(BundlePaths.opening(id)) does not hold a 32-byte content key")
                }
                do {
                    let body = try PacketOpener.openBody(sealed, header: header, contentKey: key)
                    bodyNote = "body proven: it decrypts and authenticates under the signed header (\(body.items.count) item\(body.items.count == 1 ? "" : "s"), \(body.fields.count) field\(body.fields.count == 1 ? "" : "s"))"
                    bodyProven = true
                } catch {
                    throw RecordError(.unverified, "packet \(id)'s content key does not open its body: \(error.message)")
                }
            }
            var lines = ["\(describe(header)) was sent by \(directory.name(header.sender)) at \(RecordTime.text(accepted.event.time)) — signature ✓, accepted in leaf \(accepted.index)",
                         "    \(bodyNote)"]
            for (index, event) in mine where index != accepted.index {
                let actor = (try? MemberID(event.actor))
                let value = { (key: String) in event.attributes.first { $0.key == key }?.value }
                switch event.kind {
                case "packet.read", "packet.countersigned":
                    // A signed receipt or countersignature: the actor's signature over the packet's id and digest.
                    let read = event.kind == "packet.read"
                    let digest = SHA256.hash(bytes)
                    guard let actor, let signature = value(read ? "receipt" : "signature").flatMap(Hex.decode),
                          directory.keys(of: actor).contains(where: { key in
                              read ? key.isValidSignature(signature, for: DeliveryReceipt.signedData(packetID: id, packetDigest: digest, recipient: actor), context: .receipt)
                                   : key.isValidSignature(signature, for: Countersignature.signedData(packetID: id, packetDigest: digest, countersigner: actor), context: .countersign)
                          }) else {
                        throw RecordError(.unverified, "the \(read ? "read receipt" : "countersignature") in leaf \(index) is not \(event.actor)'s signature over packet \(id)")
                    }
                    lines.append("    \(read ? "read" : "countersigned") by \(directory.name(actor)) at \(RecordTime.text(event.time)) — \(read ? "signed receipt" : "signature") ✓ (leaf \(index))")
                default:
                    lines.append("    \(RecordLabels.event(event.kind)) \(event.actor == "relay" ? "by the relay" : "by \(actor.map(directory.name) ?? event.actor)") at \(RecordTime.text(event.time)) (leaf \(index))")
                }
            }
            proven.append(.init(id: id.hex, kind: header.kind.rawValue, purpose: header.purpose, sender: header.sender.rawValue, acceptedAt: accepted.event.time,
                                acceptedLeaf: accepted.index, bodyProven: bodyProven, events: lines))
        }
        var limits: [String] = []
        let withheld = proven.filter { !$0.bodyProven }
        if !manifest.redactedFields.isEmpty {
            limits.append("Redacted for disclosure: \(manifest.redactedFields.joined(separator: ", ")) withheld. For the \(withheld.count) packet\(withheld.count == 1 ? "" : "s") whose body is withheld, the report's text cannot be re-checked against the signed ciphertext; who sent what kind of packet for which purpose, to whom, when, and every receipt and log entry still verify.")
        } else if !withheld.isEmpty {
            limits.append("\(withheld.count) packet bod\(withheld.count == 1 ? "y was" : "ies were") not held by the exporter and cannot be re-checked; their headers, signatures and log entries verify.")
        }
        return BundleVerification(exporter: exporter.rawValue, exportedAt: manifest.exportedAt, origin: checkpoint.origin, logSize: checkpoint.size,
                                  checkpointTime: checkpoint.time, adminFingerprint: adminKey.fingerprint, relayFingerprint: relayKey.fingerprint,
                                  leaves: events.count, redactedFields: manifest.redactedFields, packets: proven, limits: limits)
    }

    static func describe(_ header: PacketHeader) -> String {
        let answered = header.inReplyTo ?? header.relatesTo
        let of = answered.map { " of \($0.hex.prefix(8))…" } ?? ""
        return "\(RecordLabels.kind(header.kind).capitalizedFirst) \(header.id)\(of) (\(header.purpose))"
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

extension BundleVerifier {
    static func contentKey(_ bytes: [UInt8]) -> ContentKey? {
        var copy = bytes
        return try? ContentKey(SecretBytes(consuming: &copy))
    }
}
