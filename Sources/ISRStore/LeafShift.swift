/// How leaf positions handed out before the log's right edge was known become real ones: PostgreSQL's writer builds a
/// group's statements while it waits for the audit-log lock, with each appended leaf at a placeholder position in a
/// window no stored value reaches (random per group, at 2^61 and above), and shifts them once the lock gives the edge.
public struct LeafShift: Sendable, Equatable {
    /// The first placeholder position, how many were handed out, and the real position of the first.
    public let placeholder: UInt64
    public let count: UInt64
    public let start: UInt64

    /// The real position of `position` if it is a placeholder; any other value as it is.
    public func apply(_ position: UInt64) -> UInt64 {
        position >= placeholder && position - placeholder < count ? start + (position - placeholder) : position
    }

    public func apply(_ value: Int64) -> Int64 {
        value < 0 ? value : Int64(clamping: apply(UInt64(value)))
    }
}

/// A write's result that carries leaf positions: a write that may run before the log's edge is known
/// (`SQLRelayStore.writePositioned`) returns one, and its store shifts the positions before the caller sees them.
public protocol LeafPositioned: Sendable {
    func shifted(_ shift: LeafShift) -> Self
}

/// A write that returns the leaf it appended.
extension UInt64: LeafPositioned {
    public func shifted(_ shift: LeafShift) -> UInt64 { shift.apply(self) }
}

extension Optional: LeafPositioned where Wrapped: LeafPositioned {
    public func shifted(_ shift: LeafShift) -> Wrapped? { map { $0.shifted(shift) } }
}

extension PacketRecord: LeafPositioned {
    public func shifted(_ shift: LeafShift) -> PacketRecord {
        var record = self
        record.leafIndex = shift.apply(leafIndex)
        return record
    }
}

extension AcceptOutcome: LeafPositioned {
    public func shifted(_ shift: LeafShift) -> AcceptOutcome {
        switch self {
        case .accepted(let record): .accepted(record.shifted(shift))
        case .duplicate(let record): .duplicate(record.shifted(shift))
        }
    }
}
