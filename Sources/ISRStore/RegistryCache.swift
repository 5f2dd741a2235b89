import ISRPacket
import Synchronization

/// The registry (agencies, members, role addresses) held in memory: the relay reads it on every request and it changes
/// rarely, always through a store. Every registry write drops the snapshot once it has committed; the next read
/// loads a fresh one. A load that raced a write is discarded (the generation moved on), never installed. A store that
/// cannot hear other writers (PostgreSQL with its notification channel down) turns caching off until it can.
public final class RegistryCache: Sendable {
    struct Snapshot: Sendable {
        var agencies: [AgencyID: Agency] = [:]
        var members: [MemberID: Member] = [:]
        var roles: [MemberID: [MemberID]] = [:]
    }

    private let state = Mutex<(generation: UInt64, snapshot: Snapshot?, caching: Bool)>((0, nil, true))

    public init() {}

    /// The current snapshot, loading one with `load` if there is none.
    func snapshot(_ load: () async throws(StoreError) -> Snapshot) async throws(StoreError) -> Snapshot {
        let (generation, current) = state.withLock { ($0.generation, $0.snapshot) }
        if let current { return current }
        let loaded = try await load()
        state.withLock { if $0.generation == generation, $0.caching { $0.snapshot = loaded } }
        return loaded
    }

    /// Forgets the snapshot: call after every registry write has committed (or failed), here or in another instance.
    public func invalidate() {
        state.withLock {
            $0.generation &+= 1
            $0.snapshot = nil
        }
    }

    /// Keeps snapshots only while `on`: off, every read loads the registry afresh.
    public func setCaching(_ on: Bool) {
        state.withLock {
            $0.caching = on
            $0.generation &+= 1
            $0.snapshot = nil
        }
    }
}
