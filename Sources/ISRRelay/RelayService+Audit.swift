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

    public func leaves(start: UInt64, end: UInt64) async throws -> LeavesBody {
        guard start <= end, end - start <= 1000 else { throw RelayRefusal.badRequest("audit.range", "ask for 0 to 1000 leaves with start ≤ end") }
        let size = try await stored { try await store.auditSize() }
        guard end <= size else { throw RelayRefusal.badRequest("audit.range", "the log has \(size) leaves; end must be at most \(size)") }
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
            throw RelayRefusal.badRequest(error.code.rawValue, error.message)
        }
    }
}
