import GRDB

/// Copies committed WAL frames into the database file from its own connection, in the background, so that no
/// acknowledged write waits for a checkpoint (with SQLite's automatic checkpoints, the commit that crosses the
/// threshold does the copying and its fsync). Durability is unchanged: a commit is durable once it is in the WAL.
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let task: Task<Void, Never>

    /// Checkpoints `path` (PASSIVE: never blocks the writer or readers) every `interval`.
    init(path: String, interval: Duration = .milliseconds(250)) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        self.connection = connection
        task = Task.detached(priority: .utility) {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { break }
                _ = try? await connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            }
        }
    }

    func stop() {
        task.cancel()
        try? connection.close()
    }

    deinit {
        task.cancel()
    }
}
