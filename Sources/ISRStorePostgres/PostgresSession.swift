import ISRStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The store's operations on one PostgreSQL connection. Each statement is one round trip, waited for on the calling
/// thread: sessions run only on the store's own blocking threads (`NIOThreadPool`), never on an event loop or in a task.
/// The writer's session also queues statements whose answer nobody reads (`perform`): the connection sends each after
/// the one before it answered, on its event loop, without waking the writer's thread in between.
struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger
    /// The writer's: kept across the appends of one transaction.
    var auditTail: AuditTail? = nil
    /// The writer's: statements sent and not yet waited for. Without it, `perform` waits like `execute`.
    var queued: QueuedStatements? = nil

    func perform(_ sql: String, _ arguments: [any SQLArgument]) throws {
        guard let queued else { return _ = try execute(sql, arguments) }
        queued.add(connection.query(try Self.query(sql, arguments), logger: logger))
    }

    /// Waits for every queued statement; throws the first one's error (after all of them answered).
    func flush() throws {
        try queued?.waitForAll()
    }

    var dialect: SQLDialect { .postgres }

    func execute(_ sql: String, _ arguments: [any SQLArgument]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [SQLRow] {
        let result = try run(sql, arguments)
        guard let first = result.rows.first else { return [] }
        let columns = SQLRow.Columns(first.map(\.columnName))
        return try result.rows.map { row in SQLRow(columns: columns, values: try row.map(Self.value)) }
    }

    private func run(_ sql: String, _ arguments: [any SQLArgument]) throws -> PostgresQueryResult {
        try flush()
        return try connection.query(try Self.query(sql, arguments), logger: logger).wait()
    }

    private static func query(_ sql: String, _ arguments: [any SQLArgument]) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument.sqlValue {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let value): binds.append(ByteBuffer(bytes: value))
            }
        }
        return PostgresQuery(unsafeSQL: PlaceholderTranslation.shared.postgres(sql), binds: binds)
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

/// Statements a writer sent without waiting, in the order sent (the connection answers them in that order).
final class QueuedStatements: Sendable {
    private let futures = Mutex<[EventLoopFuture<PostgresQueryResult>]>([])

    func add(_ future: EventLoopFuture<PostgresQueryResult>) {
        futures.withLock { $0.append(future) }
    }

    func waitForAll() throws {
        let sent = futures.withLock { futures in defer { futures = [] }; return futures }
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

    static func translate(_ sql: String) -> String {
        var out = ""
        var next = 1
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
                out += "$" + digits
            }
        }
        return out
    }
}
