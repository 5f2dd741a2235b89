import ISRStore
import PostgresNIO
import Synchronization

/// The deployment's leader among relay instances: whoever holds a session-level advisory lock. The lock lives as long
/// as the session that took it, so an instance that dies (or loses its connection) gives it up at once and the next
/// instance to ask takes it. Called on a blocking thread.
final class PostgresLeadership: Sendable {
    static let lock: Int64 = 0x4953_525F_6C65_6164   // "ISR_lead"
    private let connector: PostgresConnector
    private let session = Mutex<PostgresConnection?>(nil)

    init(connector: PostgresConnector) {
        self.connector = connector
    }

    /// Whether this instance leads now, taking the lead if nobody holds it.
    func holds() -> Bool {
        if let held = session.withLock({ $0 }) {
            // Still ours if the session still answers; a session that broke took the lock with it.
            if !held.isClosed, (try? PostgresSession(connection: held, logger: connector.logger).execute("SELECT 1")) != nil { return true }
            close()
        }
        guard let connection = try? connector.connect() else { return false }
        let taken = (try? PostgresSession(connection: connection, logger: connector.logger).value(Bool.self, "SELECT pg_try_advisory_lock(?)", [Self.lock])) ?? nil
        guard taken == true else {
            connection.closeQuietly()
            return false
        }
        session.withLock { $0 = connection }
        return true
    }

    func close() {
        if let held = session.withLock({ current in defer { current = nil }; return current }) { held.closeQuietly() }
    }
}
