import Logging
import NIOPosix
import PostgresNIO
import Synchronization

/// How busy the deployment's audit-log lock was while a load ran, sampled from `pg_locks` on a connection of its own.
/// Every write group of every relay instance holds that lock until it commits, so a lock held nearly all the time is
/// what bounds the log's appends, however many instances share the database (isr-bench reports it per phase).
public struct AuditLockOccupancy: Codable, Sendable, Equatable {
    public var samples: Int
    /// The share of samples (0–1) in which a write group held the lock.
    public var held: Double
    /// The mean number of write groups waiting for it.
    public var waiting: Double

    /// Runs `body` while sampling the lock of the database at `url` every `interval` (at most `maximumSamples` times);
    /// nil beside `body`'s value when the database could not be reached or not one sample was read.
    public static func measure<T: Sendable>(url: String, interval: Duration = .milliseconds(2), maximumSamples: Int = 1_000_000,
                                            logger: Logger = Logger(label: "isr-audit-lock"),
                                            while body: () async -> T) async -> (T, AuditLockOccupancy?) {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: try PostgresLocation(url: url).configuration(),
                                                              id: 1, logger: logger)
        } catch {
            return (await body(), nil)
        }
        let stop = StopFlag()
        async let sampled = sample(connection, stop: stop, interval: interval, maximumSamples: maximumSamples, logger: logger)
        let value = await body()
        stop.raise()
        let occupancy = await sampled
        try? await connection.close()
        return (value, occupancy)
    }

    /// Reads `pg_locks` until `stop` is raised, a read fails or `maximumSamples` were taken.
    static func sample(_ connection: PostgresConnection, stop: StopFlag, interval: Duration, maximumSamples: Int, logger: Logger) async -> AuditLockOccupancy? {
        // A bigint advisory key shows in pg_locks as its high and low 32 bits (classid, objid) with objsubid 1; advisory
        // locks belong to one database, and other deployments' databases on the same server take the same key.
        let key = UInt64(bitPattern: PostgresGroupCommit.auditLock)
        let query = PostgresQuery(unsafeSQL: """
            SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted) FROM pg_locks
            WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND objsubid = 1 AND classid = '\(key >> 32)'::oid AND objid = '\(key & 0xFFFF_FFFF)'::oid
            """)
        var samples = 0
        var held = 0
        var waiting = 0
        while !stop.isRaised, samples < maximumSamples {
            do {
                for try await (holders, waiters) in try await connection.query(query, logger: logger).decode((Int64, Int64).self) {
                    held += holders > 0 ? 1 : 0
                    waiting += Int(waiters)
                }
                samples += 1
                try await Task.sleep(for: interval)
            } catch {
                break
            }
        }
        guard samples > 0 else { return nil }
        return AuditLockOccupancy(samples: samples, held: Double(held) / Double(samples), waiting: Double(waiting) / Double(samples))
    }

    /// Raised once the measured body has returned.
    final class StopFlag: Sendable {
        private let raised = Atomic<Bool>(false)
        var isRaised: Bool { raised.load(ordering: .acquiring) }
        func raise() { raised.store(true, ordering: .releasing) }
    }
}
