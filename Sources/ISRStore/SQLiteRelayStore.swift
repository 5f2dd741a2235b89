import Foundation
import GRDB
import Synchronization
import ISRAudit
import ISRPacket

/// The embedded store: one SQLite file in WAL mode with fully synchronous commits, so a transaction that
/// returned is on disk. One writer (GRDB's `DatabasePool`) committing concurrent operations in groups, concurrent readers.
public final class SQLiteRelayStore: SQLRelayStore {
    let pool: DatabasePool
    let groupCommit: GroupCommit
    public let registry = RegistryCache()
    /// The log's size and root as of the last commit, kept by the group commit so checkpoints need no reads.
    let head = PublishedTreeHead()
    let checkpointer: WALCheckpointer

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String) throws(StoreError) {
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.foreignKeysEnabled = true
            // Page caches sized for random-key index pages (packet ids are random): 64 MiB for the writer, 16 MiB per reader.
            configuration.prepareDatabase { db in
                try db.execute(sql: db.configuration.readonly ? "PRAGMA cache_size = -16384" : "PRAGMA cache_size = -65536")
                // Each operation of a group commit runs in a savepoint, for which SQLite journals every page it changes;
                // keep that sub-journal in memory instead of a temporary file (it was half the relay's write syscalls).
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            // WAL sets synchronous = NORMAL after prepareDatabase; FULL must be set afterwards, on the writer.
            // Checkpoints run in the background (WALCheckpointer); the writer checkpoints itself only if that falls
            // 65536 pages (256 MiB of WAL) behind.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 65536")
            }
            try SQLiteSchema.migrator.migrate(pool)
            checkpointer = try WALCheckpointer(path: path)
            let head = self.head
            // Each group ends with the new tree head (from the right edge its appends kept, else read inside its
            // transaction); it is published after the commit.
            let tail = AuditTail()
            groupCommit = GroupCommit(pool: pool, tail: tail) { db in
                let current = try tail.frontier.map { TreeHead(size: $0.size, root: $0.root) } ?? Self.treeHead(SQLiteSession(db: db))
                return { head.publish(current) }
            }
        } catch {
            throw StoreError(.unavailable, "cannot open the relay database at \(path): \(Self.describe(error))")
        }
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL): exposed so tests can prove durability is set.
    public func synchronousMode() async throws -> Int {
        try await pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// The journal mode (`wal` expected).
    public func journalMode() async throws -> String {
        try await pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// Copies the database, online, to a new file at `path` with SQLite's backup API: one consistent snapshot taken
    /// while the relay goes on writing (a backup in one step holds a read transaction, which WAL lets writers pass).
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.alreadyExists, "\(path) already exists; name a new file for the backup")
        }
        do {
            let destination = try DatabaseQueue(path: path)
            try pool.backup(to: destination)
            try destination.close()
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw Self.storeError(error)
        }
    }

    /// One process owns a SQLite file, so it always leads.
    public func leads() async -> Bool { true }

    /// Closes the database; later calls fail with `unavailable`.
    public func close() throws {
        checkpointer.stop()
        try pool.close()
    }

    // MARK: What the shared operations need

    /// Runs `body` as one operation of a group commit: it returns after the group's transaction is on disk.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T {
        do {
            let tail = groupCommit.tail
            return try await groupCommit.write { db in try body(SQLiteSession(db: db, auditTail: tail)) }
        } catch {
            throw Self.storeError(error)
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.read { db in try body(SQLiteSession(db: db)) }
        } catch {
            throw Self.storeError(error)
        }
    }

    /// This process is the database's only writer, so the head its own commits published is current.
    public func treeHead() async throws -> TreeHead {
        if let current = head.current { return current }
        return head.publish(try await read { db in try Self.treeHead(db) })
    }

    /// The only writer's head is the committed head.
    public func committedHead() async throws -> TreeHead {
        try await treeHead()
    }

    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_CONSTRAINT {
            return StoreError(.alreadyExists, "the record already exists or refers to one that does not (\(error.message ?? "constraint"))")
        }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            return StoreError(.corrupt, "the relay database is damaged: \(describe(error))")
        }
        return StoreError.shared(error) ?? StoreError(.unavailable, "the relay database could not complete the operation: \(describe(error))")
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return "\(error.resultCode): \(error.message ?? "")" }
        return String(describing: error)
    }
}
