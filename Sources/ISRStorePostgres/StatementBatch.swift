import ISRStore

/// Queued writes that PostgreSQL can run as one statement (`WITH s1 AS (…), s2 AS (…) last`), so an operation's
/// inserts and updates cost one round trip instead of one each. All parts of such a statement see the database as it
/// was before the statement, and one row changed twice in it has an unpredictable result, so a write joins the batch
/// only when that cannot matter: it is an INSERT, UPDATE or DELETE of a table no earlier part changes, and its text
/// names no table an earlier part changes. Foreign keys are checked at the end of the statement, so a child row may
/// follow its parent's insert in the same batch.
struct StatementBatch: Sendable {
    private(set) var parts: [(sql: String, values: [SQLValue])] = []
    private var changed: Set<String> = []

    var isEmpty: Bool { parts.isEmpty }

    /// Adds `sql` if it can run in this batch; false when it must wait for the batch to be sent (or run alone).
    mutating func add(_ sql: String, _ values: [SQLValue]) -> Bool {
        guard let shape = StatementShape.of(sql), let table = shape.table,
              !changed.contains(table), changed.isDisjoint(with: shape.names) else { return false }
        changed.insert(table)
        parts.append((sql, values))
        return true
    }

    /// The batch as one PostgreSQL statement with `$N` placeholders, and its arguments in order.
    func statement() -> (sql: String, values: [SQLValue]) {
        (StatementShape.combined(parts), parts.flatMap(\.values))
    }
}

/// What a statement changes and which names it mentions, worked out once per statement text.
struct StatementShape: Sendable {
    /// The table an INSERT, UPDATE or DELETE changes; nil for any other statement, which only ever runs alone.
    let table: String?
    /// Every identifier-like word in the statement, lowercased.
    let names: Set<String>

    private static let shapes = TextCache<StatementShape>()
    private static let combinations = TextCache<String>()

    /// The shape of `sql`, or nil if it can never share a statement (it is not a plain INSERT, UPDATE or DELETE).
    static func of(_ sql: String) -> StatementShape? {
        let shape = shapes.value(for: sql) { analyse(sql) }
        return shape.table == nil ? nil : shape
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
        return StatementShape(table: table, names: names)
    }

    /// `WITH s1 AS (first), … last`, each part's placeholders numbered after the ones before it and cast to its values'
    /// types (see `PlaceholderTranslation`).
    static func combined(_ parts: [(sql: String, values: [SQLValue])]) -> String {
        let key = parts.map { PlaceholderTranslation.signature($0.values) + "\u{0}" + $0.sql }.joined(separator: "\u{1}")
        return combinations.value(for: key) { combine(parts) }
    }

    private static func combine(_ parts: [(sql: String, values: [SQLValue])]) -> String {
        var offset = 0
        var texts: [String] = []
        for part in parts {
            texts.append(PlaceholderTranslation.translate(part.sql, values: part.values, offset: offset))
            offset += part.values.count
        }
        return texts.count == 1 ? texts[0] : "WITH " + texts.dropLast().enumerated().map { "s\($0.offset + 1) AS (\($0.element))" }.joined(separator: ", ")
            + " " + (texts.last ?? "")
    }
}
