/// One database connection inside a transaction or a read snapshot, as the store's operations see it. The operations
/// (`SQLRelayStore`) are written once against this; SQLite and PostgreSQL each supply a session and a dialect.
public protocol SQLSession {
    var dialect: SQLDialect { get }
    /// Runs one statement (`?` or `?N` placeholders) and returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [any SQLArgument]) throws -> Int
    /// Runs one query and returns every row.
    func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [SQLRow]
    /// Runs one statement whose row count the caller does not need. A store may send it without waiting for its
    /// answer (PostgreSQL queues it on the connection); an error then surfaces at the next statement that is waited
    /// for, or when the operation ends, and fails the operation all the same.
    func perform(_ sql: String, _ arguments: [any SQLArgument]) throws
    /// Runs independent queries and returns each one's rows, in order. A store may send them all before waiting for
    /// the first answer (PostgreSQL does: one wait instead of one per query).
    func rows(_ queries: [(sql: String, arguments: [any SQLArgument])]) throws -> [[SQLRow]]
    /// Whether a query of one row and one integer column answers 1: what an operation expects to hold (a new packet,
    /// active parties). A store may assume it holds and check the answer later (PostgreSQL's writer sends it ahead and
    /// has the server assert it); if it did not hold, the operation fails and the store runs it again on its own,
    /// where this answers the truth. So take the usual path on true and the exact, slower path on false. `keyed` names
    /// tables the query reads only for what a unique key of the operation's own writes enforces as well (a packet id
    /// not yet used): a store may check before sending earlier writes to them, as a clash would fail the write anyway.
    func expects(_ sql: String, _ arguments: [any SQLArgument], keyed: Set<String>) throws -> Bool
    /// The log's right edge kept by a writer across its transaction's appends, or nil to read it from the log each time.
    var auditTail: AuditTail? { get }
}

extension SQLSession {
    public var auditTail: AuditTail? { nil }

    public func perform(_ sql: String, _ arguments: [any SQLArgument]) throws {
        _ = try execute(sql, arguments)
    }

    public func rows(_ queries: [(sql: String, arguments: [any SQLArgument])]) throws -> [[SQLRow]] {
        try queries.map { try rows($0.sql, $0.arguments) }
    }

    public func expects(_ sql: String, _ arguments: [any SQLArgument], keyed: Set<String> = []) throws -> Bool {
        try value(Int64.self, sql, arguments) == 1
    }

    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }

    public func rows(_ sql: String) throws -> [SQLRow] { try rows(sql, []) }

    /// The first row, or nil. Queries that could match more say `LIMIT 1` themselves.
    public func row(_ sql: String, _ arguments: [any SQLArgument] = []) throws -> SQLRow? {
        try rows(sql, arguments).first
    }

    /// The first column of the first row, or nil if there is no row or it is null.
    public func value<T: SQLColumnValue>(_ type: T.Type, _ sql: String, _ arguments: [any SQLArgument] = []) throws -> T? {
        try row(sql, arguments)?.decode(T?.self, at: 0)
    }

    /// The first column of every row.
    public func values<T: SQLColumnValue>(_ type: T.Type, _ sql: String, _ arguments: [any SQLArgument] = []) throws -> [T] {
        try rows(sql, arguments).map { row throws(StoreError) in try row.decode(T.self, at: 0) }
    }

    /// Whether the query returns a row.
    public func exists(_ sql: String, _ arguments: [any SQLArgument] = []) throws -> Bool {
        try !rows(sql, arguments).isEmpty
    }
}

/// What the two stores spell differently, and nothing else: everything else is SQL both accept.
public struct SQLDialect: Sendable {
    /// The larger of two values (`MAX(a, b)` in SQLite, `GREATEST(a, b)` in PostgreSQL).
    public var greatest: String
    /// A column giving rows of `packet_states` in insertion order.
    public var insertionOrder: String
    /// Run inside a transaction that changed the registry (agencies, members, keys, role addresses), so every
    /// relay instance on the same database forgets its in-memory registry once that transaction commits.
    public var registryChanged: String?

    public static let sqlite = SQLDialect(greatest: "MAX", insertionOrder: "rowid", registryChanged: nil)
    public static let postgres = SQLDialect(greatest: "GREATEST", insertionOrder: "seq", registryChanged: "NOTIFY isr_registry")
}
