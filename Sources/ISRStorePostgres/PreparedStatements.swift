import ISRStore
import Logging
import NIOCore
import PostgresNIO

/// The statements one connection has prepared, by their final text: the server parses and plans each once, then only
/// binds and runs it (parsing and planning were most of its work per statement). Bounded: past 512, statements run
/// unprepared. Goes with its connection: a replaced connection starts with none.
final class PreparedStatements: Sendable {
    private let known = TextCache<PreparedQuery>(limit: 512)

    /// Whether `sql` is worth preparing: queries and writes, not transaction control or notifications.
    static func preparable(_ sql: String) -> Bool {
        let start = sql.drop { $0.isWhitespace }.prefix(6).lowercased()
        return ["select", "insert", "update", "delete"].contains(start) || start.hasPrefix("with ")
    }

    /// `sql` (final text, `$N` placeholders) prepared on `connection`: the first time, prepared now and waited for (one
    /// round trip, which also keeps it in order behind what was sent before); nil when it should run unprepared.
    func statement(_ sql: String, on connection: PostgresConnection) throws -> PreparedQuery? {
        guard Self.preparable(sql) else { return nil }
        if let query = known[sql] { return query }
        guard !known.isFull else { return nil }
        let query = try connection.prepare(query: sql).wait()
        known.remember(query, for: sql)
        return query
    }

    /// The values as a prepared statement binds them (their types match the casts in the statement's text).
    static func binds(_ values: [SQLValue]) -> [PostgresData] {
        values.map(data)
    }

    static func data(_ value: SQLValue) -> PostgresData {
        switch value {
        case .null: PostgresData.null
        case .integer(let value): PostgresData(int64: value)
        case .text(let value): PostgresData(string: value)
        case .blob(let value): PostgresData(bytes: value)
        }
    }
}
