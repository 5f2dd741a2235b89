import ISRStore
import PostgresNIO
import Testing
@testable import ISRStorePostgres

/// Which queued writes the PostgreSQL writer runs as one statement: only those whose order cannot matter.
@Suite struct StatementBatchTests {
    /// Adds each statement in turn; whether each joined the batch.
    func joined(_ batch: inout StatementBatch, _ statements: [(String, [SQLValue])]) -> [Bool] {
        statements.map { batch.add($0.0, $0.1) }
    }

    /// A bound value as the server receives it: its type and bytes.
    func described(_ binds: [PostgresData]) -> [String] {
        binds.map { data in data.value.map { "\(data.type.rawValue):\(Array($0.readableBytesView))" } ?? "null" }
    }

    @Test func writesToDifferentTablesBecomeOneStatementNumberedInOrder() {
        var batch = StatementBatch()
        let added = joined(&batch, [("INSERT INTO parent (k, v) VALUES (?, ?)", [.integer(1), .text("a")]),
                                    ("UPDATE tally SET n = ?2 WHERE k = ?1", [.integer(1), .integer(5)]),
                                    ("  DELETE FROM stale WHERE k = ?", [.integer(9)])])
        #expect(added == [true, true, true])
        let statement = batch.statement()
        // Each placeholder is cast to its value's type, as an unprepared statement declares it.
        #expect(statement.sql == "WITH s1 AS (INSERT INTO parent (k, v) VALUES ($1::int8, $2::text)), s2 AS (UPDATE tally SET n = $4::int8 WHERE k = $3::int8)   DELETE FROM stale WHERE k = $5::int8")
        #expect(described(statement.binds) == described(PreparedStatements.binds([.integer(1), .text("a"), .integer(1), .integer(5), .integer(9)])))
        #expect(statement.isReusable)
    }

    @Test func aSecondWriteToATableOrAReadOfAChangedTableWaitsForTheNextStatement() {
        var batch = StatementBatch()
        let added = joined(&batch, [("INSERT INTO scratch (k) VALUES (?)", [.integer(7)]),
                                    // The same row changed twice in one statement has an unpredictable result.
                                    ("UPDATE scratch SET other = other + 1000 WHERE k = ?", [.integer(7)]),
                                    // A part would not see the insert before it.
                                    ("UPDATE audit SET n = (SELECT COUNT(*) FROM scratch)", []),
                                    ("INSERT INTO copies SELECT * FROM Scratch", [])])
        #expect(added == [true, false, false, false])
        #expect(batch.parts.count == 1)
        // Names are whole words: packet_states is not packets.
        var packets = StatementBatch()
        #expect(joined(&packets, [("INSERT INTO packets (id) VALUES (?)", [.integer(1)]), ("INSERT INTO packet_states (packet_id) VALUES (?)", [.integer(1)])]) == [true, true])
    }

    @Test func anythingButAPlainInsertUpdateOrDeleteRunsAlone() {
        for sql in ["BEGIN", "SELECT pg_advisory_xact_lock(?)", "NOTIFY isr_registry", "RELEASE SAVEPOINT op",
                    "INSERT INTO t (k) VALUES (?) RETURNING k", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"] {
            var batch = StatementBatch()
            #expect(joined(&batch, [(sql, [])]) == [false], "\(sql)")
            #expect(batch.isEmpty)
        }
        // Quoted text is not a placeholder; NULL is left for the server to type.
        #expect(PlaceholderTranslation.translate("UPDATE t SET s = '?', b = ? WHERE k = ?", values: [.null, .blob([1])]) == "UPDATE t SET s = '?', b = $1 WHERE k = $2::bytea")
        #expect(PlaceholderTranslation.shared.postgres("SELECT ?2, ?1, ?2", [.text("a"), .integer(2)]) == "SELECT $2::int8, $1::text, $2::int8")
        // A placeholder number too long for any argument is cut, never an overflow.
        #expect(PlaceholderTranslation.translate("SELECT ?12345678901234567890123, 'é?'", values: []) == "SELECT $123456789, 'é?'")
    }

    /// A plain VALUES insert reads nothing: one of the same text (up to its row count) adds its rows to the earlier part,
    /// so a group's packets become one insert per table. Its rows are bound a column at a time, as arrays, so the text
    /// is the same for any number of rows and is prepared; a column of NULLs only is the literal NULL.
    @Test func plainInsertsOfOneTextBecomeOneInsertOfArrays() {
        var batch = StatementBatch()
        let added = joined(&batch, [("INSERT INTO a (k, v, w) VALUES (?, ?, ?)", [.integer(1), .text("x"), .null]),
                                    ("INSERT INTO b (k)\nVALUES (?), (?)", [.integer(2), .integer(3)]),
                                    ("INSERT INTO a (k, v, w) VALUES (?, ?, ?)", [.integer(4), .null, .null]),
                                    ("INSERT INTO b (k) VALUES (?)", [.integer(5)])])
        #expect(added == [true, true, true, true])
        #expect(batch.parts.count == 2)
        let statement = batch.statement()
        #expect(statement.sql == "WITH s1 AS (INSERT INTO a (k, v, w) SELECT c0, c1, NULL FROM unnest($1::int8[], $2::text[]) AS u(c0, c1)) INSERT INTO b (k) SELECT c0 FROM unnest($3::int8[]) AS u(c0)")
        #expect(statement.isReusable)
        let arrays = [PostgresData(array: [PostgresData(int64: 1), PostgresData(int64: 4)], elementType: .int8),
                      PostgresData(array: [PostgresData(string: "x"), nil], elementType: .text),
                      PostgresData(array: [2, 3, 5].map { PostgresData(int64: $0) }, elementType: .int8)]
        #expect(described(statement.binds) == described(arrays))
        // A column holding values of two types keeps one placeholder per value, and that text is not prepared.
        var mixed = StatementBatch()
        #expect(joined(&mixed, [("INSERT INTO a (k, v) VALUES (?, ?)", [.integer(1), .text("x")]), ("INSERT INTO a (k, v) VALUES (?, ?)", [.integer(2), .integer(3)])]) == [true, true])
        let fallback = mixed.statement()
        #expect(fallback.sql == "INSERT INTO a (k, v) VALUES ($1::int8, $2::text), ($3::int8, $4::int8)")
        #expect(!fallback.isReusable)
        #expect(described(fallback.binds) == described(PreparedStatements.binds([.integer(1), .text("x"), .integer(2), .integer(3)])))
    }

    /// Expectations of one text asked as one query over arrays of their values, answering 1 only if each would; one
    /// alone, or with values of two types in a place, is asked as it is.
    @Test func expectationsOfOneTextBecomeOneQuery() {
        let sql = "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM p WHERE id = ?) AND (SELECT COUNT(*) FROM m WHERE id IN (?, ?)) = ? THEN 1 ELSE 0 END"
        let runs: [[SQLValue]] = [[.blob([1]), .text("a"), .text("b"), .integer(2)], [.blob([2]), .text("c"), .null, .integer(1)]]
        let merged = ExpectationBatch.statement(sql, runs)
        #expect(merged?.sql == "SELECT isr_expected(COALESCE(MIN(e.ok), 0)) FROM unnest($1::bytea[], $2::text[], $3::text[], $4::int8[]) AS u(a1, a2, a3, a4) CROSS JOIN LATERAL (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM p WHERE id = u.a1) AND (SELECT COUNT(*) FROM m WHERE id IN (u.a2, u.a3)) = u.a4 THEN 1 ELSE 0 END) AS e(ok)")
        let arrays = [PostgresData(array: [PostgresData(bytes: [1]), PostgresData(bytes: [2])], elementType: .bytea),
                      PostgresData(array: [PostgresData(string: "a"), PostgresData(string: "c")], elementType: .text),
                      PostgresData(array: [PostgresData(string: "b"), nil], elementType: .text),
                      PostgresData(array: [PostgresData(int64: 2), PostgresData(int64: 1)], elementType: .int8)]
        #expect(merged.map { described($0.binds) } == described(arrays))
        #expect(ExpectationBatch.statement(sql, [runs[0]]) == nil)
        #expect(ExpectationBatch.statement("SELECT ?", [[.integer(1)], [.text("1")]]) == nil)
        #expect(ExpectationBatch.statement("SELECT ?", [[.null], [.null]]) == nil)
    }

    /// Inserts that read, number their placeholders, or resolve conflicts are not merged; a batch stops short of the
    /// protocol's limit on bound values.
    @Test func onlyInsertsThatReadNothingAreMergedAndABatchIsBounded() {
        for sql in ["INSERT INTO a (k, v) VALUES (?1, ?2)", "INSERT INTO a (k, v) VALUES (?, (SELECT v FROM c WHERE k = ?))",
                    "INSERT INTO a (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING", "INSERT INTO a (k, v) VALUES (?, lower(?))",
                    "INSERT INTO a (k, v) SELECT ?, ?"] {
            var batch = StatementBatch()
            #expect(joined(&batch, [(sql, [.integer(1), .integer(2)]), (sql, [.integer(3), .integer(4)])]) == [true, false], "\(sql)")
        }
        var batch = StatementBatch()
        let row = Array(repeating: SQLValue.integer(1), count: 1000)
        let sql = "INSERT INTO wide (\((1...1000).map { "c\($0)" }.joined(separator: ", "))) VALUES " + "(" + Array(repeating: "?", count: 1000).joined(separator: ", ") + ")"
        let added = (0..<31).map { _ in batch.add(sql, row) }
        #expect(added == Array(repeating: true, count: 30) + [false])
        #expect(batch.parts.map(\.values.count) == [StatementBatch.maximumParameters])
    }
}
