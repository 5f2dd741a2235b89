import ISRStore
import Testing
@testable import ISRStorePostgres

/// Which queued writes the PostgreSQL writer runs as one statement: only those whose order cannot matter.
@Suite struct StatementBatchTests {
    /// Adds each statement in turn; whether each joined the batch.
    func joined(_ batch: inout StatementBatch, _ statements: [(String, [SQLValue])]) -> [Bool] {
        statements.map { batch.add($0.0, $0.1) }
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
        #expect(statement.values == [.integer(1), .text("a"), .integer(1), .integer(5), .integer(9)])
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
        #expect(StatementShape.combined([("UPDATE t SET s = '?', b = ? WHERE k = ?", [.null, .blob([1])])]) == "UPDATE t SET s = '?', b = $1 WHERE k = $2::bytea")
        #expect(PlaceholderTranslation.shared.postgres("SELECT ?2, ?1, ?2", [.text("a"), .integer(2)]) == "SELECT $2::int8, $1::text, $2::int8")
        // A placeholder number too long for any argument is cut, never an overflow.
        #expect(PlaceholderTranslation.translate("SELECT ?12345678901234567890123, 'é?'", values: []) == "SELECT $123456789, 'é?'")
    }

    /// A plain VALUES insert reads nothing: one of the same text (up to its row count) adds its rows to the earlier part,
    /// so a group's packets become one insert per table; such a batch has a text of its own and is not prepared.
    @Test func plainInsertsOfOneTextBecomeOneMultiRowInsert() {
        var batch = StatementBatch()
        let added = joined(&batch, [("INSERT INTO a (k, v) VALUES (?, ?)", [.integer(1), .text("x")]),
                                    ("INSERT INTO b (k)\nVALUES (?), (?)", [.integer(2), .integer(3)]),
                                    ("INSERT INTO a (k, v) VALUES (?, ?)", [.integer(4), .null]),
                                    ("INSERT INTO b (k) VALUES (?)", [.integer(5)])])
        #expect(added == [true, true, true, true])
        #expect(batch.parts.count == 2)
        #expect(!batch.isReusable)
        let statement = batch.statement()
        #expect(statement.sql == "WITH s1 AS (INSERT INTO a (k, v) VALUES ($1::int8, $2::text), ($3::int8, $4)) INSERT INTO b (k) VALUES ($5::int8), ($6::int8), ($7::int8)")
        #expect(statement.values == [.integer(1), .text("x"), .integer(4), .null, .integer(2), .integer(3), .integer(5)])
        // One statement of its own text is still prepared.
        var single = StatementBatch()
        #expect(joined(&single, [("INSERT INTO b (k) VALUES (?), (?)", [.integer(2), .integer(3)])]) == [true])
        #expect(single.isReusable)
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
        #expect(batch.statement().values.count == StatementBatch.maximumParameters)
    }
}
