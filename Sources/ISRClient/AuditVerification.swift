import Foundation
import ISRAudit
import ISRCrypto
import ISRRelayAPI

/// `isr audit verify` from the outside: the relay's key (pinned on first use), its signed checkpoint, every leaf
/// re-hashed to the signed root, and consistency with the newest checkpoint this home saw before.
public struct AuditVerification: Sendable {
    public struct Report: Codable, Sendable, Equatable {
        public let size: UInt64
        public let root: String
        public let relayKeyFingerprint: String
        /// The size of the checkpoint this home had seen before, if any (proved consistent).
        public let previousSize: UInt64?
        /// For a member: how many of their own events were proved to be in the log (admins re-hash every leaf instead).
        public var ownEvents: Int? = nil
    }

    /// `audit.json` in the home: the relay key pinned on first verification and the newest checkpoint seen.
    struct Seen: Codable {
        var relayKey: String
        var size: UInt64
        var root: String
    }

    public static func run(_ session: Session) async throws(ClientError) -> Report {
        let client = session.client
        let keyBody = try await client.get("/v1/audit/key").decode(RelayKeyBody.self)
        let seen = seen(in: session.home)
        if let seen, seen.relayKey != keyBody.signingKey {
            throw ClientError(.verification, "the relay's signing key changed since this home pinned it (\(keyBody.fingerprint) now): its log cannot be trusted; tell your admin")
        }
        guard let keyData = Data(base64Encoded: keyBody.signingKey), let relayKey = try? SigningPublicKey(bytes: keyData) else {
            throw ClientError(.verification, "the relay published no usable signing key")
        }
        let body = try await client.get("/v1/audit/checkpoint").decode(CheckpointBody.self)
        let checkpoint: Checkpoint
        do {
            checkpoint = try SignedCheckpoint(encoded: Array(Data(base64Encoded: body.signed) ?? Data())).verified(with: relayKey)
        } catch {
            throw ClientError(.verification, "the checkpoint does not verify: \(error.message)")
        }
        // Deployment admins and auditors may read (and so re-hash) the whole log; everyone else proves their own events.
        let role = (try await VerifiedDirectory.load(client, trust: session.trust)).members[session.me]?.role
        let isAdmin = role == "admin" || role == "auditor"
        let ownEvents = isAdmin ? nil : try await proveOwnEvents(client, checkpoint: checkpoint)
        if !isAdmin {
            try await checkConsistency(client, seen: seen, checkpoint: checkpoint)
            return try remember(session, keyBody: keyBody, checkpoint: checkpoint, relayKey: relayKey, seen: seen, ownEvents: ownEvents)
        }
        // An admin re-hashes every leaf: a changed leaf, or a root the leaves do not produce, is caught here.
        let nodes = InMemoryMerkleNodes()
        let log = MerkleLog(store: nodes)
        var index: UInt64 = 0
        while index < checkpoint.size {
            let end = min(index + 1000, checkpoint.size)
            let page = try await client.get("/v1/audit/leaves?start=\(index)&end=\(end)").decode(LeavesBody.self)
            guard page.leaves.count == Int(end - index) else { throw ClientError(.verification, "the relay returned \(page.leaves.count) leaves for \(index)..<\(end)") }
            for leaf in page.leaves {
                guard let data = Data(base64Encoded: leaf) else { throw ClientError(.verification, "leaf \(index) is not base64") }
                do {
                    _ = try AuditEvent(derEncoded: Array(data))
                    nodes.insert(try log.nodesForAppend(leafHash: MerkleHash.leaf(Array(data)), at: index))
                } catch {
                    throw ClientError(.verification, "leaf \(index) is not a canonical audit event: the log was altered")
                }
                index += 1
            }
        }
        let rebuilt: [UInt8]
        do { rebuilt = try log.rootHash(size: checkpoint.size) } catch { throw ClientError(.verification, "the relay served an incomplete log") }
        guard ConstantTime.equal(rebuilt, checkpoint.root) else {
            throw ClientError(.verification, "the \(checkpoint.size) leaves the relay serves do not hash to the root it signed: its record was altered")
        }
        try await checkConsistency(client, seen: seen, checkpoint: checkpoint)
        return try remember(session, keyBody: keyBody, checkpoint: checkpoint, relayKey: relayKey, seen: seen, ownEvents: nil)
    }

    /// What this home pinned and saw last (`audit.json`), if it verified before.
    static func seen(in home: ISRHome) -> Seen? {
        FileManager.default.contents(atPath: home.path + "/audit.json").flatMap { try? ISRJSON.decoder().decode(Seen.self, from: $0) }
    }

    /// The newest checkpoint extends the one this home saw before: history was only appended to.
    static func checkConsistency(_ client: RelayClient, seen: Seen?, checkpoint: Checkpoint) async throws(ClientError) {
        guard let seen else { return }
        let proof = try await client.get("/v1/audit/consistency?old=\(seen.size)&new=\(checkpoint.size)").decode(ProofBody.self)
        do {
            try MerkleVerifier.verifyConsistency(oldSize: seen.size, newSize: checkpoint.size, oldRoot: Array(Data(base64Encoded: seen.root) ?? Data()),
                                                 newRoot: checkpoint.root, proof: proof.proof.map { Array(Data(base64Encoded: $0) ?? Data()) })
        } catch {
            throw ClientError(.verification, "the log is not an extension of the one this home saw at size \(seen.size): history was rewritten")
        }
    }

    /// Every event of this member's (need to know: not the whole log) is a canonical leaf in the tree the checkpoint signs.
    static func proveOwnEvents(_ client: RelayClient, checkpoint: Checkpoint) async throws(ClientError) -> Int {
        try await ownLeaves(client, checkpoint: checkpoint).count
    }

    /// This member's leaves in the tree of the checkpoint (those in `range` if given), each proved included (at most 100
    /// pages of 200). Not optimised: Swift 6.3.1's optimizer crashes (signal 11) splitting this coroutine in release builds.
    @_optimize(none)
    static func ownLeaves(_ client: RelayClient, checkpoint: Checkpoint,
                          range: ClosedRange<UInt64>? = nil) async throws(ClientError) -> [(index: UInt64, data: [UInt8], proof: [[UInt8]])] {
        var leaves: [(index: UInt64, data: [UInt8], proof: [[UInt8]])] = []
        var after = range.flatMap { $0.lowerBound > 0 ? String($0.lowerBound - 1) : nil }
        for _ in 0..<100 {
            let page = try await client.get("/v1/audit/mine?size=\(checkpoint.size)" + (after.map { "&after=\($0)" } ?? "")).decode(PartyLeavesBody.self)
            for leaf in page.leaves {
                let data = Array(Data(base64Encoded: leaf.leaf) ?? Data())
                let proof = leaf.proof.compactMap { Data(base64Encoded: $0).map(Array.init) }
                do {
                    _ = try AuditEvent(derEncoded: data)
                    guard proof.count == leaf.proof.count else { throw AuditError(.inclusionFailed, "") }
                    try MerkleVerifier.verifyInclusion(leafHash: MerkleHash.leaf(data), index: leaf.index, size: checkpoint.size, proof: proof, root: checkpoint.root)
                } catch {
                    throw ClientError(.verification, "your event at leaf \(leaf.index) is not in the log the relay signed: its record was altered")
                }
                leaves.append((leaf.index, data, proof))
            }
            guard let next = page.next else { return leaves }
            if let range, let last = UInt64(next), last >= range.upperBound { return leaves }
            after = next
        }
        return leaves
    }

    static func remember(_ session: Session, keyBody: RelayKeyBody, checkpoint: Checkpoint, relayKey: SigningPublicKey, seen: Seen?,
                         ownEvents: Int?) throws(ClientError) -> Report {
        let root = Data(checkpoint.root).base64EncodedString()
        try session.home.write(Array((try? ISRJSON.encoder(pretty: true).encode(Seen(relayKey: keyBody.signingKey, size: checkpoint.size, root: root))) ?? Data()),
                               to: session.home.path + "/audit.json", secret: false)
        var report = Report(size: checkpoint.size, root: root, relayKeyFingerprint: relayKey.fingerprint, previousSize: seen?.size)
        report.ownEvents = ownEvents
        return report
    }
}
