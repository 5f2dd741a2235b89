import Foundation
import GRDB

/// The store's operations on a GRDB connection: statements are cached per connection, as GRDB's `cachedStatement` does.
struct SQLiteSession: SQLSession {
    let db: Database

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

    static func arguments(_ values: [any SQLArgument]) -> StatementArguments {
        StatementArguments(values.map { argument -> DatabaseValue in
            switch argument.sqlValue {
            case .null: .null
            case .integer(let value): value.databaseValue
            case .text(let value): value.databaseValue
            case .blob(let value): Data(value).databaseValue
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
