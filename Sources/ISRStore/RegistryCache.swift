import ISRPacket
import Synchronization

/// The registry (agencies, members, role addresses) held in memory: the relay reads it on every request and it changes
/// rarely, always through this store. Every registry write drops the snapshot once it has committed; the next read
/// loads a fresh one. A load that raced a write is discarded (the generation moved on), never installed.
final class RegistryCache: Sendable {
    struct Snapshot: Sendable {
        var agencies: [AgencyID: Agency] = [:]
        var members: [MemberID: Member] = [:]
        var roles: [MemberID: [MemberID]] = [:]
    }

    private let state = Mutex<(generation: UInt64, snapshot: Snapshot?)>((0, nil))

    /// The current snapshot, loading one with `load` if there is none.
    func snapshot(_ load: () async throws(StoreError) -> Snapshot) async throws(StoreError) -> Snapshot {
        let (generation, current) = state.withLock { ($0.generation, $0.snapshot) }
        if let current { return current }
        let loaded = try await load()
        state.withLock { if $0.generation == generation { $0.snapshot = loaded } }
        return loaded
    }

    /// Forgets the snapshot: call after every registry write has committed (or failed).
    func invalidate() {
        state.withLock {
            $0.generation &+= 1
            $0.snapshot = nil
        }
    }
}
