import ISRAudit
import Synchronization

/// The last checkpoint the relay signed, reused for every answer while the log has not grown and it is under a second
/// old: a burst of acceptances committed in one group shares one signature instead of signing one each.
final class CheckpointCache: Sendable {
    private let latest = Mutex<(checkpoint: Checkpoint, signed: SignedCheckpoint)?>(nil)
    static let maximumAgeMilliseconds: Int64 = 1000

    /// The cached checkpoint if it covers exactly `size` leaves and was signed at most a second before `now`.
    func reusable(size: UInt64, now: Int64) -> SignedCheckpoint? {
        latest.withLock { entry in
            guard let entry, entry.checkpoint.size == size, now - entry.checkpoint.time < Self.maximumAgeMilliseconds,
                  entry.checkpoint.time <= now else { return nil }
            return entry.signed
        }
    }

    func remember(_ checkpoint: Checkpoint, _ signed: SignedCheckpoint) {
        latest.withLock { entry in
            if let entry, entry.checkpoint.size > checkpoint.size { return }
            entry = (checkpoint, signed)
        }
    }
}
