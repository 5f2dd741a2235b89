import Synchronization

/// What was worked out once from a statement's text (its translation, shape, column index, prepared form), kept by
/// that text. Bounded: past `limit` entries nothing new is kept and the caller works it out again.
public final class TextCache<Value: Sendable>: Sendable {
    private let entries = Mutex<[String: Value]>([:])
    public let limit: Int

    public init(limit: Int = 4096) {
        self.limit = limit
    }

    public subscript(key: String) -> Value? {
        entries.withLock { $0[key] }
    }

    public var isFull: Bool {
        entries.withLock { $0.count >= limit }
    }

    /// Keeps `value` for `key`, replacing what was kept; a new key only while there is room.
    public func remember(_ value: Value, for key: String) {
        entries.withLock { if $0.count < limit || $0[key] != nil { $0[key] = value } }
    }

    /// The value kept for `key`, or `make()`'s, kept if there is room.
    public func value(for key: String, _ make: () -> Value) -> Value {
        if let known = self[key] { return known }
        let made = make()
        remember(made, for: key)
        return made
    }
}
