/// One result row, its values found by column name as the statement named them.
public struct SQLRow: Sendable {
    /// The statement's column names and where each is (shared by every row of one result).
    public final class Columns: Sendable {
        let index: [String: Int]

        private static let known = TextCache<Columns>()

        /// The columns of statement `sql`, their index built once per statement text and reused while the names match
        /// (a migration may change what `SELECT *` names).
        public static func named(by sql: String, _ names: [String]) -> Columns {
            if let columns = known[sql], columns.names == names { return columns }
            let columns = Columns(names)
            known.remember(columns, for: sql)
            return columns
        }

        let names: [String]

        public init(_ names: [String]) {
            self.names = names
            var index: [String: Int] = [:]
            for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
            self.index = index
        }
    }

    let columns: Columns
    let values: [SQLValue]

    public init(columns: Columns, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of column `name` as `T`; a missing column or a value of another type is a `corrupt` store error.
    public func decode<T: SQLColumnValue>(_ type: T.Type, forColumn name: String) throws(StoreError) -> T {
        guard let position = columns.index[name] else { throw StoreError(.corrupt, "a query has no column `\(name)`") }
        return try decode(type, at: position, name: name)
    }

    /// The value at `position` (0-based) as `T`.
    public func decode<T: SQLColumnValue>(_ type: T.Type, at position: Int, name: String? = nil) throws(StoreError) -> T {
        guard values.indices.contains(position) else { throw StoreError(.corrupt, "a query has no column \(position)") }
        do {
            return try T(sqlValue: values[position])
        } catch {
            throw StoreError(.corrupt, "the relay database holds \(values[position].kind) in column `\(name ?? String(position))` where it expects \(error.expected)")
        }
    }
}

extension SQLValue {
    var kind: String {
        switch self {
        case .null: "null"
        case .integer: "an integer"
        case .text: "text"
        case .blob: "bytes"
        }
    }
}
