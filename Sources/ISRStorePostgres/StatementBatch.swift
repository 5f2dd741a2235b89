import Foundation
import ISRStore
import PostgresNIO

/// Queued writes that PostgreSQL can run as one statement (`WITH s1 AS (…), s2 AS (…) last`), so the writes of an
/// operation, and of the operations after it, cost one statement instead of one each. All parts of such a statement see
/// the database as it was before the statement, and one row changed twice in it has an unpredictable result, so a write
/// joins the batch only when that cannot matter: it is an INSERT, UPDATE or DELETE of a table no earlier part changes,
/// and its text names no table an earlier part changes. A plain `INSERT … VALUES (?, …)` reads nothing, so one of the
/// same text as an earlier part (up to its number of rows) adds its rows to that part: a group's packets become one
/// insert per table, its rows bound a column at a time as arrays. Foreign keys are checked at the end of the statement,
/// so a child row may follow its parent's insert in the same batch.
struct StatementBatch: Sendable {
    struct Part: Sendable {
        var sql: String
        var values: [SQLValue]
        /// For a plain VALUES insert: its text up to VALUES, one row's placeholders, and how many rows it holds now.
        var rows: (prefix: String, width: Int, count: Int)?
        /// Whether later statements' rows were added to it (it then runs as an insert of arrays, not as `sql`).
        var merged = false
    }

    private(set) var parts: [Part] = []
    private(set) var changed: Set<String> = []
    private var parameters = 0
    /// PostgreSQL binds at most 65,535 values to a statement; a batch stops well short of that.
    static let maximumParameters = 30_000

    var isEmpty: Bool { parts.isEmpty }

    /// Adds `sql` if it can run in this batch; false when it must wait for the batch to be sent (or run alone).
    mutating func add(_ sql: String, _ values: [SQLValue]) -> Bool {
        guard let shape = StatementShape.of(sql), let table = shape.table, parameters + values.count <= Self.maximumParameters else { return false }
        if let rows = shape.rows, let index = parts.firstIndex(where: { $0.rows?.prefix == rows.prefix && $0.rows?.width == rows.width }) {
            parts[index].values += values
            parts[index].rows?.count += rows.count
            parts[index].merged = true
            parameters += values.count
            return true
        }
        guard !changed.contains(table), changed.isDisjoint(with: shape.names) else { return false }
        changed.insert(table)
        parts.append(Part(sql: sql, values: values, rows: shape.rows))
        parameters += values.count
        return true
    }

    /// Makes the placeholder leaf positions among its values real (`QueuedStatements.release`).
    mutating func shift(_ shift: LeafShift) {
        for index in parts.indices { parts[index].values = parts[index].values.map { $0.shifted(shift) } }
    }

    /// The batch as one PostgreSQL statement with `$N` placeholders, what to bind to them in order, and whether its
    /// text is worth preparing. A merged insert binds each column of its rows as one array (`unnest`), so its text is
    /// the same for any number of rows: the server parses and plans a group's statement once per connection, not once
    /// per group (that was a quarter of its work).
    func statement() -> (sql: String, binds: [PostgresData], isReusable: Bool) {
        var texts: [String] = []
        var binds: [PostgresData] = []
        var reusable = true
        for part in parts {
            if part.merged, let rows = part.rows {
                if let insert = StatementShape.unnestInsert(rows.prefix, width: rows.width, values: part.values, offset: binds.count) {
                    texts.append(insert.sql)
                    binds += insert.binds
                    continue
                }
                texts.append(StatementShape.valuesInsert(rows.prefix, width: rows.width, values: part.values, offset: binds.count))
                reusable = false
            } else {
                texts.append(PlaceholderTranslation.translate(part.sql, values: part.values, offset: binds.count))
            }
            binds += part.values.map(PreparedStatements.data)
        }
        return (StatementShape.with(texts), binds, reusable)
    }
}

/// What a statement changes and which names it mentions, worked out once per statement text.
struct StatementShape: Sendable {
    /// The table an INSERT, UPDATE or DELETE changes; nil for any other statement, which only ever runs alone.
    let table: String?
    /// Every identifier-like word in the statement, lowercased.
    let names: Set<String>
    /// For `INSERT INTO t (…) VALUES (?, …)[, (?, …)…]`: the text before VALUES, a row's width and the number of rows.
    var rows: (prefix: String, width: Int, count: Int)? = nil

    private static let shapes = TextCache<StatementShape>()

    /// The shape of `sql`, or nil if it can never share a statement (it is not a plain INSERT, UPDATE or DELETE).
    static func of(_ sql: String) -> StatementShape? {
        let shape = analysed(sql)
        return shape.table == nil ? nil : shape
    }

    /// The shape of any statement, a query included.
    static func analysed(_ sql: String) -> StatementShape {
        shapes.value(for: sql) { analyse(sql) }
    }

    static func analyse(_ sql: String) -> StatementShape {
        let words = sql.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_")) }.map(String.init)
        let names = Set(words)
        let table: String?
        switch (words.first, words.dropFirst().first) {
        case ("insert", "into"), ("delete", "from"): table = words.dropFirst(2).first
        case ("update", _): table = words.dropFirst().first
        default: table = nil
        }
        // A statement that returns rows, or holds its own WITH, is not merged: nobody would read those rows, and a
        // nested WITH of data-modifying parts is not allowed.
        guard !names.contains("returning"), !names.contains("with") else { return StatementShape(table: nil, names: names) }
        return StatementShape(table: table, names: names, rows: words.first == "insert" ? plainRows(sql) : nil)
    }

    /// The prefix, row width and row count of a plain VALUES insert of `?` placeholders only (it reads nothing); nil
    /// for anything else (numbered placeholders, expressions, subqueries, ON CONFLICT).
    static func plainRows(_ sql: String) -> (prefix: String, width: Int, count: Int)? {
        guard let values = sql.range(of: #"\sVALUES\s*\("#, options: [.caseInsensitive, .regularExpression]) else { return nil }
        let prefix = String(sql[..<values.lowerBound])
        guard !prefix.contains("?"), !prefix.lowercased().contains("select") else { return nil }
        let tuples = "(" + sql[values.upperBound...].filter { !$0.isWhitespace }
        guard tuples.hasPrefix("("), tuples.hasSuffix(")") else { return nil }
        let rows = tuples.dropFirst().dropLast().components(separatedBy: "),(")
        let width = rows.first?.split(separator: ",", omittingEmptySubsequences: false).count ?? 0
        guard width > 0, rows.allSatisfy({ $0 == Array(repeating: "?", count: width).joined(separator: ",") }) else { return nil }
        return (prefix.trimmingCharacters(in: .whitespacesAndNewlines), width, rows.count)
    }

    /// `prefix VALUES ($n::type, …), …`: rows of `width` placeholders for `values`, numbered from `offset + 1` and cast
    /// as `PlaceholderTranslation` casts them (written directly: a group's rows are many).
    static func valuesInsert(_ prefix: String, width: Int, values: [SQLValue], offset: Int) -> String {
        var text = prefix + " VALUES "
        text.reserveCapacity(prefix.utf8.count + 16 * values.count)
        for (index, value) in values.enumerated() {
            let column = index % width
            if column == 0 { text += index == 0 ? "(" : "), (" } else { text += ", " }
            text += "$" + String(offset + index + 1) + PlaceholderTranslation.cast(value)
        }
        return text + ")"
    }

    /// `prefix SELECT c0, NULL, … FROM unnest($n::bytea[], …) AS u(c0, …)`: a merged insert's rows bound as one array
    /// per column, typed by its values (a column of NULLs only is the literal NULL, which its table types). Nil when a
    /// column holds values of two types, or every column only NULLs.
    static func unnestInsert(_ prefix: String, width: Int, values: [SQLValue], offset: Int) -> (sql: String, binds: [PostgresData])? {
        var selected: [String] = []
        var arrays: [String] = []
        var names: [String] = []
        var binds: [PostgresData] = []
        for column in 0..<width {
            let cells = stride(from: column, to: values.count, by: width).map { values[$0] }
            guard cells.contains(where: { $0 != .null }) else {
                selected.append("NULL")
                continue
            }
            guard let array = array(of: cells) else { return nil }
            let name = "c\(column)"
            selected.append(name)
            names.append(name)
            arrays.append("$\(offset + binds.count + 1)\(array.cast)")
            binds.append(array.data)
        }
        guard !binds.isEmpty else { return nil }
        return ("\(prefix) SELECT \(selected.joined(separator: ", ")) FROM unnest(\(arrays.joined(separator: ", "))) AS u(\(names.joined(separator: ", ")))", binds)
    }

    /// `cells` bound as one array, and the cast its placeholder takes (`::bytea[]`); nil if they are of two types
    /// (NULLs aside) or all NULL.
    static func array(of cells: [SQLValue]) -> (cast: String, data: PostgresData)? {
        guard let type = arrayType(of: cells) else { return nil }
        return ("::\(type.name)[]", PostgresData(array: cells.map(PreparedStatements.data), elementType: type.oid))
    }

    /// The element type of an array of `cells`: their one type (NULLs aside); nil if they have two, or are all NULL.
    private static func arrayType(of cells: [SQLValue]) -> (name: String, oid: PostgresDataType)? {
        var type: (name: String, oid: PostgresDataType)?
        for cell in cells {
            let cellType: (name: String, oid: PostgresDataType)? = switch cell {
            case .null: nil
            case .integer: ("int8", .int8)
            case .text: ("text", .text)
            case .blob: ("bytea", .bytea)
            }
            guard let cellType else { continue }
            if let type, type.oid != cellType.oid { return nil }
            type = cellType
        }
        return type
    }

    /// Statements as one: `WITH s1 AS (first), … last`, or the only one.
    static func with(_ texts: [String]) -> String {
        texts.count == 1 ? texts[0] : "WITH " + texts.dropLast().enumerated().map { "s\($0.offset + 1) AS (\($0.element))" }.joined(separator: ", ")
            + " " + (texts.last ?? "")
    }
}
