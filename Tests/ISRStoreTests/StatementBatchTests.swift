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
    }
}
