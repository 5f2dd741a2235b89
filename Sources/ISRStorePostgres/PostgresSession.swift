import ISRStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The store's operations on one PostgreSQL connection. Each statement is one round trip, waited for on the calling
/// thread: sessions run only on the store's own blocking threads (`NIOThreadPool`), never on an event loop or in a task.
/// The writer's session also queues statements whose answer nobody reads (`perform`): they are gathered into one
/// statement where that is safe (`StatementBatch`), sent when a statement that is waited for comes or the operation
/// ends, and answered on the connection's event loop without waking the writer's thread in between.
struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger
    /// The writer's: kept across the appends of one transaction.
    var auditTail: AuditTail? = nil
    /// The writer's: statements gathered or sent and not yet waited for. Without it, `perform` waits like `execute`.
    var queued: QueuedStatements? = nil

    func perform(_ sql: String, _ arguments: [any SQLArgument]) throws {
        guard let queued else { return _ = try execute(sql, arguments) }
        queued.add(sql, arguments.map(\.sqlValue), on: connection, logger: logger)
    }

    /// Sends what is gathered, waits for every queued statement, and throws the first one's error (after all answered).
    func flush() throws {
        try queued?.waitForAll(on: connection, logger: logger)
    }

    /// Waits for what was sent and drops what was only gathered: the operation failed, its writes are being undone.
    func abandon() {
        _ = try? queued?.waitForAll(on: connection, logger: logger, discardingBatch: true)
    }

    var dialect: SQLDialect { .postgres }

    func execute(_ sql: String, _ arguments: [any SQLArgument]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [SQLRow] {
        let result = try run(sql, arguments)
        guard let first = result.rows.first else { return [] }
        let columns = SQLRow.Columns.named(by: sql, first.map(\.columnName))
        return try result.rows.map { row in SQLRow(columns: columns, values: try row.map(Self.value)) }
    }

    private func run(_ sql: String, _ arguments: [any SQLArgument]) throws -> PostgresQueryResult {
        try flush()
        return try connection.query(Self.query(PlaceholderTranslation.shared.postgres(sql), arguments.map(\.sqlValue)), logger: logger).wait()
    }

    /// `sql` must already use `$N` placeholders.
    static func query(_ sql: String, _ values: [SQLValue]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let value): binds.append(ByteBuffer(bytes: value))
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea: return .blob(Array(buffer: try cell.decode(ByteBuffer.self)))
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// A writer's statements not yet waited for: the batch being gathered, then the ones sent, in order (the connection
/// answers them in the order sent).
final class QueuedStatements: Sendable {
    private struct Pending: Sendable {
        var batch = StatementBatch()
        var sent: [EventLoopFuture<PostgresQueryResult>] = []
    }
    private let pending = Mutex(Pending())

    /// Gathers `sql` into the current batch, or sends that batch and starts a new one (or sends `sql` alone).
    func add(_ sql: String, _ values: [SQLValue], on connection: PostgresConnection, logger: Logger) {
        pending.withLock { pending in
            if pending.batch.add(sql, values) { return }
            Self.send(&pending, on: connection, logger: logger)
            if !pending.batch.add(sql, values) {
                pending.sent.append(connection.query(PostgresSession.query(PlaceholderTranslation.shared.postgres(sql), values), logger: logger))
            }
        }
    }

    private static func send(_ pending: inout Pending, on connection: PostgresConnection, logger: Logger) {
        guard !pending.batch.isEmpty else { return }
        let statement = pending.batch.statement()
        pending.batch = StatementBatch()
        pending.sent.append(connection.query(PostgresSession.query(statement.sql, statement.values), logger: logger))
    }

    /// Sends the gathered batch (unless `discardingBatch`), then waits for everything sent; throws the first error.
    func waitForAll(on connection: PostgresConnection, logger: Logger, discardingBatch: Bool = false) throws {
        let sent = pending.withLock { pending in
            if discardingBatch { pending.batch = StatementBatch() } else { Self.send(&pending, on: connection, logger: logger) }
            defer { pending.sent = [] }
            return pending.sent
        }
        var first: (any Error)?
        for future in sent {
            do { _ = try future.wait() } catch { first = first ?? error }
        }
        if let first { throw first }
    }
}

/// SQLite's `?` and `?N` placeholders as PostgreSQL's `$N` (outside quoted literals), remembered per statement text.
final class PlaceholderTranslation: Sendable {
    static let shared = PlaceholderTranslation()
    private let cache = Mutex<[String: String]>([:])

    func postgres(_ sql: String) -> String {
        if let known = cache.withLock({ $0[sql] }) { return known }
        let translated = Self.translate(sql)
        cache.withLock { if $0.count < 4096 { $0[sql] = translated } }
        return translated
    }

    /// `offset` is how many placeholders come before this statement's in the statement it becomes part of.
    static func translate(_ sql: String, offset: Int = 0) -> String {
        var out = ""
        var next = offset + 1
        var quoted = false
        var characters = sql.makeIterator()
        var pending = characters.next()
        while let character = pending {
            pending = characters.next()
            if character == "'" { quoted.toggle() }
            guard character == "?", !quoted else { out.append(character); continue }
            var digits = ""
            while let digit = pending, digit.isASCII, digit.isNumber {
                digits.append(digit)
                pending = characters.next()
            }
            if digits.isEmpty {
                out += "$\(next)"
                next += 1
            } else {
                out += "$\((Int(digits) ?? 0) + offset)"
            }
        }
        return out
    }
}
