import Synchronization

/// The tree head as of the last commit; a newer (larger) head is never replaced by an older one.
public final class PublishedTreeHead: Sendable {
    public init() {}

    private let value = Mutex<TreeHead?>(nil)

    public var current: TreeHead? { value.withLock { $0 } }

    /// Publishes `head` unless a larger one is already published; returns the published head.
    @discardableResult
    public func publish(_ head: TreeHead) -> TreeHead {
        value.withLock { current in
            if let current, current.size >= head.size { return current }
            current = head
            return head
        }
    }
}
