import ISRAudit
import ISRCrypto
import ISRPacket

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
    /// The sender or a recipient is no longer an active member of an active agency (checked inside the accepting
    /// transaction, so a revocation committed through another relay instance is never outrun).
    case notActive = "store.not-active"
    case unavailable = "store.unavailable"
    case corrupt = "store.corrupt"
}

extension CodedError where Code == StoreErrorCode {
    /// The store's reading of errors both implementations share: a proof beyond the log, and records that do not
    /// decode (the database holds something this relay did not write). Nil for anything else.
    public static func shared(_ error: any Error) -> StoreError? {
        if let error = error as? StoreError { return error }
        if let error = error as? AuditError, error.code == .indexOutOfRange { return StoreError(.outOfRange, error.message) }
        if error is AuditError || error is PacketError {
            return StoreError(.corrupt, "the relay database holds a record it cannot read back: \(error)")
        }
        return nil
    }
}
