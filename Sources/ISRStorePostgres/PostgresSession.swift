import ISRStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The store's operations on one PostgreSQL connection, prepared once per connection where they can be
/// (`PreparedStatements`). Answers are waited for on the calling thread: sessions run only on the store's own blocking
/// threads (`NIOThreadPool`), never on an event loop or in a task. The writer's and a reader transaction's sessions also
/// queue statements whose answer nobody reads (`perform`): they are gathered into one statement where that is safe
/// (`StatementBatch`) and sent, back to back with it, when a statement that is waited for comes (or at `flush`).
struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger
    /// The statements `connection` has prepared; nil to run every statement unprepared.
    var prepared: PreparedStatements? = nil
    /// The writer's: kept across the appends of one transaction.
    var auditTail: AuditTail? = nil
    /// The writer's and a reader transaction's: statements gathered or sent and not yet waited for. Without it,
    /// `perform` waits like `execute`.
    var queued: QueuedStatements? = nil
    /// The writer's, while a group runs without savepoints: `expects` sends its query ahead and answers true; a false
    /// answer raises on the server, so the group's next wait fails (or its COMMIT answers ROLLBACK), and the group runs
    /// again isolated.
    var speculative = false

    func perform(_ sql: String, _ arguments: [any SQLArgument]) throws {
        guard let queued else { return _ = try execute(sql, arguments) }
        try queued.add(sql, arguments.map(\.sqlValue), session: self)
    }

    func expects(_ sql: String, _ arguments: [any SQLArgument], keyed: Set<String>) throws -> Bool {
        guard speculative, let queued else { return try value(Int64.self, sql, arguments) == 1 }
        try queued.check(sql, arguments.map(\.sqlValue), keyed: keyed, session: self)
        return true
    }

    /// Sends what is gathered, waits for every queued statement, and throws the first one's error (after all answered).
    func flush() throws {
        try queued?.waitForAll(session: self)
    }

    /// Waits for what was sent and drops what was only gathered: the operation failed, its writes are being undone.
    func abandon() {
        _ = try? queued?.waitForAll(session: self, discardingBatch: true)
    }

    var dialect: SQLDialect { .postgres }

    /// Runs unprepared: only an unprepared statement's answer carries the count of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [any SQLArgument]) throws -> Int {
        let values = arguments.map(\.sqlValue)
        return try afterQueued {
            connection.query(Self.query(PlaceholderTranslation.shared.postgres(sql, values), values), logger: logger)
        }.metadata.rows ?? 0
    }

    /// Commits the open transaction, sending COMMIT right behind everything queued and only then waiting; throws
    /// unless the server answered that it committed. `NotCommitted` (with the first error among the queued statements)
    /// when nothing of the transaction was written: what was queued could not be sent, or a statement failed and
    /// COMMIT answered ROLLBACK. Any other error leaves the outcome unknown.
    func commit() throws {
        guard let queued else {
            let result = try connection.query("COMMIT", logger: logger).wait()
            guard result.metadata.command == "COMMIT" else { throw NotCommitted(cause: nil) }
            return
        }
        do {
            try queued.sendBatch(self)
        } catch {
            abandon()
            throw NotCommitted(cause: error)
        }
        let future = connection.query("COMMIT", logger: logger)
        var failed: (any Error)?
        do { try queued.waitForAll(session: self, discardingBatch: true) } catch { failed = error }
        let result = try future.wait()
        guard result.metadata.command == "COMMIT" else { throw NotCommitted(cause: failed) }
        // Committed, yet a statement's answer failed a client-side check (the server asserted it): its callers are
        // not told it succeeded; the writer answers them as it does when the outcome is unknown.
        if let failed { throw failed }
    }

    func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [SQLRow] {
        let values = arguments.map(\.sqlValue)
        return try Self.rows(try afterQueued { try send(PlaceholderTranslation.shared.postgres(sql, values), values) }, of: sql)
    }

    /// Sends every query before waiting for the first answer.
    func rows(_ queries: [(sql: String, arguments: [any SQLArgument])]) throws -> [[SQLRow]] {
        let answers = try afterQueued { () throws -> EventLoopFuture<[Result<[PostgresRow], any Error>]> in
            var futures: [EventLoopFuture<[PostgresRow]>] = []
            do {
                for query in queries {
                    let values = query.arguments.map(\.sqlValue)
                    futures.append(try send(PlaceholderTranslation.shared.postgres(query.sql, values), values))
                }
            } catch {
                for future in futures { _ = try? future.wait() }
                throw error
            }
            return EventLoopFuture.whenAllComplete(futures, on: connection.eventLoop)
        }
        return try zip(queries, answers).map { query, answer in try Self.rows(answer.get(), of: query.sql) }
    }

    /// The rows statement `sql` returned, as the store reads them.
    static func rows(_ rows: [PostgresRow], of sql: String) throws -> [SQLRow] {
        guard let first = rows.first else { return [] }
        let columns = SQLRow.Columns.named(by: sql, first.map(\.columnName))
        return try rows.map { row in SQLRow(columns: columns, values: try row.map(Self.value)) }
    }

    /// Sends what is gathered, then the statement `start` sends, and only then waits: for everything queued before it
    /// (the first error among those is thrown) and for its answer. The connection runs them back to back.
    private func afterQueued<T: Sendable>(_ start: () throws -> EventLoopFuture<T>) throws -> T {
        guard let queued else { return try start().wait() }
        try queued.refuseWhileHeld()
        try queued.sendBatch(self)
        let future = try start()
        do {
            try queued.waitForAll(session: self, discardingBatch: true)
        } catch {
            _ = try? future.wait()
            throw error
        }
        return try future.wait()
    }

    /// Sends `sql` (final text), prepared if `preparing` and it can be, without waiting for its answer.
    func send(_ sql: String, _ values: [SQLValue], prepared preparing: Bool = true) throws -> EventLoopFuture<[PostgresRow]> {
        if preparing, let statement = try prepared?.statement(sql, on: connection) {
            return statement.execute(PreparedStatements.binds(values))
        }
        return connection.query(Self.query(sql, values), logger: logger).map(\.rows)
    }

    /// Sends `sql` (final text) with `binds` as they are (a batch's arrays among them), prepared if `preparing` and it
    /// can be, without waiting for its answer.
    func send(_ sql: String, binds: [PostgresData], prepared preparing: Bool) throws -> EventLoopFuture<[PostgresRow]> {
        if preparing, let statement = try prepared?.statement(sql, on: connection) {
            return statement.execute(binds)
        }
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds { bindings.append(bind) }
        return connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).map(\.rows)
    }

    /// `sql` must already use `$N` placeholders.
    static func query(_ sql: String, _ values: [SQLValue]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let value): binds.append(ByteBuffer(bytes: value))
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// postgres-nio asks for every result in binary; a prepared statement's cells still carry the text format the
    /// server described before binding, so the format is set to what the bytes are.
    static func value(_ labelled: PostgresCell) throws -> SQLValue {
        guard labelled.bytes != nil else { return .null }
        var cell = labelled
        cell.format = .binary
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea: return .blob(Array(buffer: try cell.decode(ByteBuffer.self)))
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// A session's statements not yet waited for: the batch being gathered, then the ones sent, in order (the connection
/// answers them in the order sent). Used by its session's thread only.
///
/// The writer may hold what it would send (`hold`) while it builds a group before its lock is granted: then the sends
/// are kept in order, a read is refused (`PositionsHeld`), and `release` shifts the placeholder leaf positions in every
/// kept value (`LeafShift`) and sends them.
final class QueuedStatements: Sendable {
    /// What would have been sent while held, in order.
    private enum Held: Sendable {
        case checks([(sql: String, runs: [[SQLValue]])])
        case batch(StatementBatch)
        case alone(String, [SQLValue])
    }
    private struct Pending: Sendable {
        var batch = StatementBatch()
        var sent: [EventLoopFuture<[PostgresRow]>] = []
        /// Expectations not sent yet, by text in the order first seen, with the values of each time it was expected.
        var checks: [(sql: String, runs: [[SQLValue]])] = []
        /// Non-nil while sends are held.
        var held: [Held]?
        /// Whether something tried to read while sends were held (it was refused, whatever its caller made of that).
        var refusedRead = false
    }
    private let pending = Mutex(Pending())

    /// Gathers `sql` into the current batch, or sends that batch and starts a new one (or sends `sql` alone).
    func add(_ sql: String, _ values: [SQLValue], session: PostgresSession) throws {
        if pending.withLock({ $0.batch.add(sql, values) }) { return }
        try sendBatch(session)
        if pending.withLock({ $0.batch.add(sql, values) }) { return }
        if pending.withLock({ pending in pending.held?.append(.alone(sql, values)) != nil }) { return }
        let future = try session.send(PlaceholderTranslation.shared.postgres(sql, values), values)
        pending.withLock { $0.sent.append(future) }
    }

    /// From now on, keeps what would be sent until `release` (or `dropHeld`).
    func hold() {
        pending.withLock { $0.held = [] }
    }

    /// Throws `PositionsHeld` (and remembers the attempt) while sends are held: a read would need them sent.
    func refuseWhileHeld() throws {
        let held = pending.withLock { pending in
            if pending.held != nil { pending.refusedRead = true }
            return pending.held != nil
        }
        if held { throw PositionsHeld() }
    }

    /// Whether a read was refused since `hold`.
    var refusedRead: Bool { pending.withLock { $0.refusedRead } }

    /// Forgets everything held, gathered and expected since `hold`, and stops holding.
    func dropHeld() {
        pending.withLock { pending in
            pending.held = nil
            pending.refusedRead = false
            pending.batch = StatementBatch()
            pending.checks = []
        }
    }

    /// Stops holding: shifts the placeholder positions in everything held, gathered and expected, then sends what was
    /// held, in order.
    func release(_ shift: LeafShift?, session: PostgresSession) throws {
        let held = pending.withLock { pending -> [Held] in
            defer { pending.held = nil }
            guard let shift else { return pending.held ?? [] }
            pending.batch.shift(shift)
            pending.checks = Self.shifted(pending.checks, shift)
            return (pending.held ?? []).map { item -> Held in
                switch item {
                case .checks(let checks): return .checks(Self.shifted(checks, shift))
                case .batch(var batch):
                    batch.shift(shift)
                    return .batch(batch)
                case .alone(let sql, let values): return .alone(sql, values.map { $0.shifted(shift) })
                }
            }
        }
        for item in held {
            switch item {
            case .checks(let checks): try send(checks, session)
            case .batch(let batch): try send(batch, session)
            case .alone(let sql, let values):
                let future = try session.send(PlaceholderTranslation.shared.postgres(sql, values), values)
                pending.withLock { $0.sent.append(future) }
            }
        }
    }

    private static func shifted(_ checks: [(sql: String, runs: [[SQLValue]])], _ shift: LeafShift) -> [(sql: String, runs: [[SQLValue]])] {
        checks.map { check in (check.sql, check.runs.map { run in run.map { $0.shifted(shift) } }) }
    }

    /// Gathers the query of an expectation (`PostgresSession.expects`), asserted by the server (`ExpectationBatch`:
    /// anything but 1 raises, and fails the transaction) and read when everything sent is waited for (anything but 1
    /// fails with `ExpectationFailed` there too). Expectations are sent ahead of anything gathered or sent after them,
    /// and after the gathered batch when they read a table it changes (but `keyed` tables); those of one text go as one
    /// prepared query (`ExpectationBatch`), not one each. (Apart from the batch, not part of it: there the server
    /// planned every expectation again for each group, most of its time.)
    func check(_ sql: String, _ values: [SQLValue], keyed: Set<String>, session: PostgresSession) throws {
        let reads = StatementShape.analysed(sql).names.subtracting(keyed)
        if !pending.withLock({ $0.batch.changed.isDisjoint(with: reads) }) { try sendBatch(session) }
        pending.withLock { pending in
            if let index = pending.checks.firstIndex(where: { $0.sql == sql }) {
                pending.checks[index].runs.append(values)
            } else {
                pending.checks.append((sql, [values]))
            }
        }
    }

    /// Sends the gathered expectations, a query per text (or holds them).
    private func sendChecks(_ session: PostgresSession) throws {
        let checks = pending.withLock { pending -> [(sql: String, runs: [[SQLValue]])] in
            defer { pending.checks = [] }
            guard pending.held == nil else {
                if !pending.checks.isEmpty { pending.held?.append(.checks(pending.checks)) }
                return []
            }
            return pending.checks
        }
        try send(checks, session)
    }

    private func send(_ checks: [(sql: String, runs: [[SQLValue]])], _ session: PostgresSession) throws {
        for check in checks {
            let queries = if let merged = ExpectationBatch.statement(check.sql, check.runs) {
                [try session.send(merged.sql, binds: merged.binds, prepared: true)]
            } else {
                try check.runs.map { run in try session.send(PlaceholderTranslation.shared.postgres(ExpectationBatch.alone(check.sql), run), run) }
            }
            let answers = queries.map { query in
                query.flatMapThrowing { rows in
                    try Self.requireOnes(rows)
                    return rows
                }
            }
            pending.withLock { $0.sent += answers }
        }
    }

    /// Throws `ExpectationFailed` unless the answer is one row of ones.
    static func requireOnes(_ rows: [PostgresRow]) throws {
        guard rows.count == 1, let row = rows.first, try row.allSatisfy({ try PostgresSession.value($0) == .integer(1) }) else {
            throw ExpectationFailed()
        }
    }

    func sendBatch(_ session: PostgresSession) throws {
        try sendChecks(session)
        let batch = pending.withLock { pending -> StatementBatch in
            defer { pending.batch = StatementBatch() }
            guard pending.held == nil else {
                if !pending.batch.isEmpty { pending.held?.append(.batch(pending.batch)) }
                return StatementBatch()
            }
            return pending.batch
        }
        try send(batch, session)
    }

    private func send(_ batch: StatementBatch, _ session: PostgresSession) throws {
        guard !batch.isEmpty else { return }
        let statement = batch.statement()
        let future = try session.send(statement.sql, binds: statement.binds, prepared: statement.isReusable)
        pending.withLock { $0.sent.append(future) }
    }

    /// Waits for what was sent (and only that: nothing gathered or held is sent); throws the first error.
    func waitForSent() throws {
        let sent = pending.withLock { pending in defer { pending.sent = [] }; return pending.sent }
        var first: (any Error)?
        for future in sent {
            do { _ = try future.wait() } catch { first = first ?? error }
        }
        if let first { throw first }
    }

    /// Sends the gathered batch (unless `discardingBatch`), then waits for everything sent; throws the first error.
    func waitForAll(session: PostgresSession, discardingBatch: Bool = false) throws {
        var first: (any Error)?
        if discardingBatch {
            pending.withLock { pending in
                pending.batch = StatementBatch()
                pending.checks = []
            }
        } else {
            do { try sendBatch(session) } catch { first = error }
        }
        do { try waitForSent() } catch { first = first ?? error }
        if let first { throw first }
    }
}

/// What a speculative session's expectation found false: the group that assumed it runs again, isolated.
struct ExpectationFailed: Error {}

/// A read while the writer holds its sends (`QueuedStatements.hold`): the operation must run once the lock is granted.
struct PositionsHeld: Error {}

extension SQLValue {
    /// An integer that is a placeholder leaf position, made real; any other value as it is.
    func shifted(_ shift: LeafShift) -> SQLValue {
        if case .integer(let value) = self { return .integer(shift.apply(value)) }
        return self
    }
}

/// The transaction did not commit and nothing of it was written (`PostgresSession.commit`); `cause` is the first
/// error among the statements queued before COMMIT, when one failed.
struct NotCommitted: Error {
    let cause: (any Error)?
}

/// SQLite's `?` and `?N` placeholders as PostgreSQL's `$N` (outside quoted literals), each cast to the type of the value
/// bound to it (`$1::int8`, `$2::text`, `$3::bytea`; NULL uncast), exactly the types an unprepared statement declares for
/// them, so a prepared statement's server-inferred types never differ. Remembered per statement text and value types.
final class PlaceholderTranslation: Sendable {
    static let shared = PlaceholderTranslation()
    private let cache = TextCache<String>()

    func postgres(_ sql: String, _ values: [SQLValue]) -> String {
        cache.value(for: Self.signature(values) + "\u{0}" + sql) { Self.translate(sql, values: values) }
    }

    /// One letter per value: what decides the casts.
    static func signature(_ values: [SQLValue]) -> String {
        String(values.map { value -> Character in
            switch value {
            case .null: "n"
            case .integer: "i"
            case .text: "t"
            case .blob: "b"
            }
        })
    }

    /// `offset` is how many placeholders come before this statement's in the statement it becomes part of.
    static func translate(_ sql: String, values: [SQLValue], offset: Int = 0) -> String {
        rewrite(sql) { number in
            "$" + String(number + offset) + (values.indices.contains(number - 1) ? cast(values[number - 1]) : "")
        }
    }

    /// `sql` with each placeholder (`?` or `?N`, outside quoted literals) replaced by what `placeholder` makes of its
    /// number. Works on UTF-8 bytes: every character it looks for is ASCII.
    static func rewrite(_ sql: String, _ placeholder: (Int) -> String) -> String {
        let (question, quote, zero, nine) = (UInt8(ascii: "?"), UInt8(ascii: "'"), UInt8(ascii: "0"), UInt8(ascii: "9"))
        var out: [UInt8] = []
        out.reserveCapacity(sql.utf8.count + 64)
        var next = 1
        var quoted = false
        let bytes = Array(sql.utf8)
        var position = 0
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == quote { quoted.toggle() }
            guard byte == question, !quoted else { out.append(byte); continue }
            var number = 0
            var digits = 0
            while position < bytes.count, (zero...nine).contains(bytes[position]) {
                // A placeholder number past nine digits names no argument; it must not overflow either.
                if digits < 9 { number = number * 10 + Int(bytes[position] - zero) }
                digits += 1
                position += 1
            }
            if digits == 0 {
                number = next
                next += 1
            }
            out += Array(placeholder(number).utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func cast(_ value: SQLValue) -> String {
        switch value {
        case .null: ""
        case .integer: "::int8"
        case .text: "::text"
        case .blob: "::bytea"
        }
    }
}
