import Foundation
import GRDB

/// The store's operations on a GRDB connection: statements are cached per connection, as GRDB's `cachedStatement` does.
struct SQLiteSession: SQLSession {
    let db: Database
    /// The writer's: kept across the appends of one group transaction.
    var auditTail: AuditTail? = nil

    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: [any SQLArgument]) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [SQLRow] {
        let statement = try db.cachedStatement(sql: sql)
        let columns = SQLRow.Columns.named(by: sql, statement.columnNames)
        // Each row is read straight from the statement (a cursor), not copied into a GRDB row first.
        let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        var rows: [SQLRow] = []
        while let row = try cursor.next() {
            rows.append(SQLRow(columns: columns, values: (0..<row.count).map { Self.value(row[$0] as DatabaseValue) }))
        }
        return rows
    }

    /// The values as GRDB binds them. Given as optional existentials: GRDB's initialiser for a sequence of concrete
    /// values maps them through a key path, which cost about a third of an acceptance's store time (perf).
    static func arguments(_ values: [any SQLArgument]) -> StatementArguments {
        StatementArguments(values.map { argument -> (any DatabaseValueConvertible)? in
            switch argument.sqlValue {
            case .null: nil
            case .integer(let value): value
            case .text(let value): value
            case .blob(let value): Data(value)
            }
        })
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case .int64(let value): .integer(value)
        case .double(let value): Int64(exactly: value).map { .integer($0) } ?? .null
        case .string(let value): .text(value)
        case .blob(let value): .blob(Array(value))
        }
    }
}
