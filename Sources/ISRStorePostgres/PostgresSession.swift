import ISRStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The store's operations on one PostgreSQL connection. Each statement is one round trip, waited for on the calling
/// thread: sessions run only on the store's own blocking threads (`NIOThreadPool`), never on an event loop or in a task.
struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger
    /// The writer's: kept across the appends of one transaction.
    var auditTail: AuditTail? = nil

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
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument.sqlValue {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let value): binds.append(ByteBuffer(bytes: value))
            }
        }
        let query = PostgresQuery(unsafeSQL: PlaceholderTranslation.shared.postgres(sql), binds: binds)
        return try connection.query(query, logger: logger).wait()
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
