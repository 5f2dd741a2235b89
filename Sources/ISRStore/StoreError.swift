import ISRCrypto

/// Why the store refused an operation. Conflicts and missing records map to 4xx on the relay; `unavailable`
/// (the database could not be reached or written) to 503.
public typealias StoreError = CodedError<StoreErrorCode>

/// The stable codes of `StoreError`.
public enum StoreErrorCode: String, Sendable, CaseIterable {
    case notFound = "store.not-found"
    case alreadyExists = "store.already-exists"
    /// The same packet id was sent before with different bytes.
    case packetConflict = "store.packet-conflict"
    /// The record is not in a state that allows this step (e.g. confirming a packet with no read-back).
    case invalidTransition = "store.invalid-transition"
    /// A leaf index or tree size beyond the log (a proof asked for a tree that does not exist yet).
    case outOfRange = "store.out-of-range"
    case unavailable = "store.unavailable"
    case corrupt = "store.corrupt"
}
