import Foundation
import ISRStore
import ISRStorePostgres
import Logging

/// `isr-relay backup` and `isr-relay restore` for the SQLite store. A PostgreSQL store is backed up with PostgreSQL's
/// own tools (`pg_dump --format=custom`, `pg_restore`; see the README); both paths end with the audit log re-hashed.
public enum RelayBackup {
    /// Copies the configured SQLite store to `out` while the relay may be running, then verifies the copy's audit log.
    /// Returns the copy's verified tree head.
    public static func backup(configPath: String, out: String) async throws -> TreeHead {
        let config = try RelayConfiguration.load(configPath)
        try refusePostgres(config)
        guard FileManager.default.fileExists(atPath: config.storePath) else {
            throw ConfigurationError("there is no store at \(config.storePath) to back up")
        }
        let store = try SQLiteRelayStore(path: config.storePath)
        defer { try? store.close() }
        try store.backup(to: out)
        return try await verify(out)
    }

    /// Installs the backup `from` as the configured store, which must not exist yet (stop the relay and move the damaged
    /// store away first). The backup is copied beside the store, opened (migrations apply), and its audit log
    /// re-hashed before it takes the store's name; a backup that fails is not installed.
    public static func restore(configPath: String, from backup: String) async throws -> TreeHead {
        let config = try RelayConfiguration.load(configPath)
        try refusePostgres(config)
        let destination = config.storePath
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw ConfigurationError("\(destination) exists; stop the relay and move the current store (and its -wal and -shm files) away before restoring")
        }
        guard FileManager.default.fileExists(atPath: backup) else { throw ConfigurationError("there is no backup at \(backup)") }
        let directory = URL(fileURLWithPath: destination).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let staging = destination + ".restoring-" + UUID().uuidString.prefix(8)
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: staging + suffix) } }
        try FileManager.default.copyItem(atPath: backup, toPath: staging)
        let head = try await verify(staging)
        try FileManager.default.moveItem(atPath: staging, toPath: destination)
        return head
    }

    static func verify(_ path: String) async throws -> TreeHead {
        let copy = try SQLiteRelayStore(path: path)
        defer { try? copy.close() }
        return try await copy.verifyAuditLog()
    }

    static func refusePostgres(_ config: RelayConfiguration) throws {
        if let url = config.storeURL {
            let location = (try? PostgresLocation(url: url)).map(\.description) ?? "store.url"
            throw ConfigurationError("this relay's store is PostgreSQL (\(location)): back it up with `pg_dump --format=custom` and restore with `pg_restore` (see the README's Backups)")
        }
    }
}
