import ISRStore
import PostgresNIO

/// The expectations of one text gathered in a group (`SQLSession.expects`: a query answering 1), asked as one query:
/// its placeholders read each run's values from arrays (`unnest`) and it answers 1 only if every run does. Its text
/// is the same for any number of runs, so it is prepared once per connection; one execution replaces one per operation.
/// Every form raises on the server (`isr_expected`) instead of answering anything but 1: the group's COMMIT is sent
/// before the answer is read, and must then find the transaction failed.
enum ExpectationBatch {
    /// One run's expectation, asserted by the server.
    static func alone(_ sql: String) -> String {
        "SELECT isr_expected((\(sql)))"
    }

    /// Nil when there is one run, or a placeholder's values are of two types or all NULL: then each run goes alone.
    static func statement(_ sql: String, _ runs: [[SQLValue]]) -> (sql: String, binds: [PostgresData])? {
        guard runs.count > 1, let width = runs.first?.count, width > 0, runs.allSatisfy({ $0.count == width }) else { return nil }
        var arrays: [String] = []
        var binds: [PostgresData] = []
        for position in 0..<width {
            guard let array = StatementShape.array(of: runs.map { $0[position] }) else { return nil }
            arrays.append("$\(position + 1)\(array.cast)")
            binds.append(array.data)
        }
        let names = (1...width).map { "a\($0)" }
        let inner = PlaceholderTranslation.rewrite(sql) { number in (1...width).contains(number) ? "u.a\(number)" : "NULL" }
        return ("SELECT isr_expected(COALESCE(MIN(e.ok), 0)) FROM unnest(\(arrays.joined(separator: ", "))) AS u(\(names.joined(separator: ", "))) CROSS JOIN LATERAL (\(inner)) AS e(ok)", binds)
    }
}
