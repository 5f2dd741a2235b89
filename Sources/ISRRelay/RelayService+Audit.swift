import Foundation
import ISRRelayAPI
import ISRAudit
import ISRCrypto
import ISRStore

extension RelayService {
    public func checkpoint() async throws -> CheckpointBody {
        let signed = try await signedCheckpoint()
        let checkpoint = try Checkpoint(derEncoded: signed.checkpointBytes)
        return CheckpointBody(origin: checkpoint.origin, size: checkpoint.size, root: Data(checkpoint.root).base64EncodedString(), time: checkpoint.time,
                              signed: Data(signed.encoded()).base64EncodedString())
    }

    /// The whole log, leaf by leaf: for deployment admins and auditors only. Events name senders, recipients, purposes and
    /// reasons across every agency; a member gets their own (`partyLeaves`).
    public func leaves(start: UInt64, end: UInt64, for member: Member) async throws -> LeavesBody {
        guard member.role == .admin || member.role == .auditor else {
            throw RelayRefusal.forbidden("audit.whole-log", "the whole audit log is for deployment admins and auditors; your own events, with their proofs, are at /v1/audit/mine")
        }
        return try await leaves(start: start, end: end)
    }

    /// The events `member` is a party to in the tree of `size` leaves, at most 200 a page after `after`, each with its
    /// inclusion proof: enough for `isr audit verify` to prove their own history is in the log the relay signed.
    public func partyLeaves(for member: Member, size: UInt64, after: UInt64?) async throws -> PartyLeavesBody {
        let current = try await stored { try await store.auditSize() }
        guard (1...current).contains(size) else { throw RelayRefusal.unprocessable("audit.range", "size is 1–\(current), the size of a checkpoint you hold") }
        let limit = 200
        let indices = try await stored { try await store.partyLeaves(member.id, size: size, after: after, limit: limit + 1) }
        var leaves: [PartyLeavesBody.Leaf] = []
        for index in indices.prefix(limit) {
            let data = try await stored { try await store.auditLeaves(start: index, end: index + 1) }.first ?? []
            let proof = try await stored { try await store.inclusionProof(index: index, size: size) }
            leaves.append(.init(index: index, leaf: Data(data).base64EncodedString(), proof: proof.map { Data($0).base64EncodedString() }))
        }
        return PartyLeavesBody(size: size, leaves: leaves, next: indices.count > limit ? leaves.last.map { String($0.index) } : nil)
    }

    public func leaves(start: UInt64, end: UInt64) async throws -> LeavesBody {
        guard start <= end, end - start <= 1000 else { throw RelayRefusal.unprocessable("audit.range", "ask for 0 to 1000 leaves with start ≤ end") }
        let size = try await stored { try await store.auditSize() }
        guard end <= size else { throw RelayRefusal.unprocessable("audit.range", "the log has \(size) leaves; end must be at most \(size)") }
        let leaves = try await stored { try await store.auditLeaves(start: start, end: end) }
        return LeavesBody(start: start, leaves: leaves.map { Data($0).base64EncodedString() })
    }

    public func inclusion(index: UInt64, size: UInt64) async throws -> ProofBody {
        try await proof { try await store.inclusionProof(index: index, size: size) }
    }

    public func consistency(old: UInt64, new: UInt64) async throws -> ProofBody {
        try await proof { try await store.consistencyProof(oldSize: old, newSize: new) }
    }

    public var relayKeyBody: RelayKeyBody {
        RelayKeyBody(origin: origin, signingKey: Data(relayKey.publicKey.bytes).base64EncodedString(), fingerprint: relayKey.publicKey.fingerprint)
    }

    private func proof(_ body: () async throws -> [[UInt8]]) async throws -> ProofBody {
        do {
            return ProofBody(proof: try await stored(body).map { Data($0).base64EncodedString() })
        } catch let error as AuditError {
            throw RelayRefusal.unprocessable(error.code.rawValue, error.message)
        }
    }
}
