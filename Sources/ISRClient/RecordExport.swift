import Foundation
import ISRAudit
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRecord
import ISRRelayAPI

/// `isr export`: gathers the evidence for packets of your record — their exact bytes, the content keys that prove
/// their bodies, the signed directory entries of everyone who signed, the relay's signed checkpoint with an inclusion
/// proof for every event — adds the report, signs the manifest, records the export in the relay's audit log, and
/// returns the bundle. Nothing is written if the relay does not record the export.
public enum RecordExport {
    public struct Result: Sendable {
        public let bytes: [UInt8]
        public let packets: Int
        public let leaves: Int
        public let withheldBodies: Int
        /// Packets of the record not in the bundle: not opened by this member yet, or purged.
        public let notHeld: Int
        /// The audit leaf recording the export.
        public let exportLeaf: UInt64
    }

    public static func run(_ session: Session, packets held: [HeldPacket], subjectReference: String?, redact: [String]) async throws(ClientError) -> Result {
        let included = held.filter { $0.bytes != nil && $0.record.header != nil }
        guard !included.isEmpty else {
            throw ClientError(.refused, "none of these packets is held by you (sent from this home, or fetched by you): there is nothing to export")
        }
        guard included.count <= 200 else {
            throw ClientError(.usage, "one bundle holds at most 200 packets and this record has \(included.count): narrow it with --since or --purpose")
        }
        let redactSet = Set(redact)
        if !redact.isEmpty {
            let policy = try await session.policy()
            let known = Set(policy.fields.keys).union(Chronology.redactableParts)
            if let unknown = redact.first(where: { !known.contains($0) }) {
                throw ClientError(.usage, "`\(unknown)` is not a field you can withhold; use subject fields (\(policy.fields.keys.sorted().joined(separator: ", "))) or \(Chronology.redactableParts.joined(separator: ", "))")
            }
        }
        let client = session.client

        // The relay's key (as pinned by `isr audit verify`, if this home did), and a checkpoint covering every event.
        let keyBody = try await client.get("/v1/audit/key").decode(RelayKeyBody.self)
        if let pinned = AuditVerification.seen(in: session.home)?.relayKey, pinned != keyBody.signingKey {
            throw ClientError(.verification, "the relay's signing key changed since this home pinned it: its log cannot be trusted; tell your admin")
        }
        guard let relayKeyData = Data(base64Encoded: keyBody.signingKey), let relayKey = try? SigningPublicKey(bytes: relayKeyData) else {
            throw ClientError(.verification, "the relay published no usable signing key")
        }
        let checkpointBody = try await client.get("/v1/audit/checkpoint").decode(CheckpointBody.self)
        let signedCheckpoint = Array(Data(base64Encoded: checkpointBody.signed) ?? Data())
        let checkpoint: Checkpoint
        do {
            checkpoint = try SignedCheckpoint(encoded: signedCheckpoint).verified(with: relayKey)
        } catch {
            throw ClientError(.verification, "the relay's checkpoint does not verify: \(error.message)")
        }
        var indices = Set<UInt64>()
        for packet in held { for step in packet.record.status.history { indices.insert(step.leafIndex) } }
        // Your own events with their proofs (the relay gives a member nothing else of its log), the ones of this record kept.
        let own = try await AuditVerification.ownLeaves(client, checkpoint: checkpoint, range: indices.min().flatMap { low in indices.max().map { low...$0 } })
        let leaves = own.filter { indices.contains($0.index) }.map { EvidenceBundle.Leaf(index: $0.index, data: $0.data, proof: $0.proof) }
        if let missing = indices.subtracting(leaves.map(\.index)).min() {
            throw ClientError(.verification, "the relay gave no proof for leaf \(missing) of this record (its checkpoint has \(checkpoint.size) leaves); try again")
        }

        // The signed directory entries of everyone named, and of the admins who vouch for them.
        let listed = try await client.get("/v1/directory").decode(ListBody<DirectoryMember>.self).items
        var named = Set([session.me.rawValue])
        for packet in held {
            named.insert(packet.record.status.sender)
            for step in packet.record.status.history { named.insert(step.actor) }
            for delivery in packet.record.status.deliveries { named.insert(delivery.member) }
        }
        var entries: [[UInt8]] = []
        var seen = Set<[UInt8]>()
        var signers: [String] = []
        func add(_ member: DirectoryMember) {
            for text in [member.directoryEntry] + (member.keys ?? []).map(\.directoryEntry) {
                guard let data = text.flatMap({ Data(base64Encoded: $0) }).map(Array.init), seen.insert(data).inserted else { continue }
                entries.append(data)
                if let signer = try? DirectoryEntry.signer(of: data), signer != session.trust.root { signers.append(signer.rawValue) }
            }
        }
        for member in listed where named.contains(member.id) { add(member) }
        for member in listed where signers.contains(member.id) && !named.contains(member.id) { add(member) }
        let names = Dictionary(listed.map { ($0.id, "\($0.displayName), \($0.agencyName)") }, uniquingKeysWith: { a, _ in a })

        let exportedAt = Int64(Date().timeIntervalSince1970 * 1000)
        let chronology = Chronology.build(held.map(\.record), redact: redactSet)
        let report = RecordReport(subjectReference: subjectReference, exporter: session.me.rawValue, exportedAt: exportedAt, origin: checkpoint.origin,
                                  logSize: checkpoint.size, entries: chronology, packets: held.map(\.record.status), redactedFields: redact.sorted(), names: names)
        var withheld = 0
        let packets: [(id: PacketID, packet: EvidenceBundle.Packet)] = included.compactMap { packet in
            guard let header = packet.record.header, let bytes = packet.bytes else { return nil }
            let hides = packet.record.body.map { Chronology.withholdsAnything($0, redact: redactSet) } ?? false
            let key = hides ? nil : packet.contentKey
            if key == nil { withheld += 1 }
            return (header.id, EvidenceBundle.Packet(bytes: bytes, contentKey: key))
        }
        let bundle = EvidenceBundle(exporter: session.me, exportedAt: exportedAt, admin: session.trust.root, adminKey: session.trust.rootKey,
                                    origin: checkpoint.origin, relayKey: relayKey, directoryEntries: entries, packets: packets,
                                    checkpoint: signedCheckpoint, checkpointSize: checkpoint.size, leaves: leaves, report: report.html,
                                    redactedFields: redact.sorted())
        let written: (bytes: [UInt8], manifestDigest: [UInt8])
        do {
            written = try bundle.write(signedBy: session.keys.signing)
            // What is exported must verify: check it as a recipient of the bundle would before anything is recorded.
            _ = try BundleVerifier.verify(written.bytes)
        } catch {
            throw ClientError(.verification, "the bundle does not verify: \(error.message)")
        }
        let receipt = try await client.post("/v1/exports", json: ExportNotice(packets: packets.map(\.id.hex), manifestDigest: Hex.encode(written.manifestDigest),
                                                                             redacted: !redact.isEmpty)).decode(ExportReceipt.self)
        return Result(bytes: written.bytes, packets: packets.count, leaves: leaves.count, withheldBodies: withheld,
                      notHeld: held.count - packets.count, exportLeaf: receipt.leafIndex)
    }
}
