import ISRStorePostgres

/// The test process's PostgreSQL cluster, started on first use and stopped when the process exits.
public enum TestPostgres {
    public static let cluster = Result { try ScratchPostgres() }

    /// A new empty database on the cluster, its URL. Starting the cluster (`initdb`) and creating the database wait on
    /// processes, so that happens on a thread of its own, not the cooperative pool.
    public static func newDatabase() async throws -> String {
        try await withTaskExecutorPreference(DispatchTaskExecutor()) { try cluster.get().createDatabase() }
    }
}
