import Foundation
import ISRAudit
import ISRPacket
@testable import ISRStorePostgres
import ISRTestSupport
import Synchronization
import Testing
@testable import ISRStore

/// What only the PostgreSQL store does: several stores (relay instances) on one database, lost connections, leadership.
@Suite(.blocksThreads) struct PostgresStoreTests {
    /// A fresh database on the test cluster, and its URL.
    func database() throws -> (cluster: ScratchPostgres, url: String, name: String) {
        let cluster = try TestPostgres.cluster.get()
        let url = try cluster.createDatabase()
        return (cluster, url, String(url.split(separator: "/").last ?? ""))
    }

    /// The writer queues statements whose answer it does not read; one that fails must still fail its own operation
    /// (and only it), whether it ran in a group with others or alone.
    @Test func aQueuedStatementThatFailsFailsItsOwnOperationOnly() async throws {
        let (_, url, _) = try database()
        let store = try await PostgresRelayStore(url: url)
        defer { Task { await store.close() } }
        try await store.write { db in try db.perform("CREATE TABLE scratch (k INTEGER PRIMARY KEY, other INTEGER NOT NULL)", []) }
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for n in 0..<41 {
                group.addTask {
                    do {
                        // Key 7 twice: whichever commits second breaks the primary key in a queued statement.
                        try await store.write { db in
                            try db.perform("INSERT INTO scratch (k, other) VALUES (?, ?)", [n == 40 ? 7 : n, n])
                            try db.perform("UPDATE scratch SET other = other + 1000 WHERE k = ?", [n == 40 ? 7 : n])
                        }
                        return (n, true)
                    } catch {
                        return (n, false)
                    }
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes.values.filter { !$0 }.count == 1, "exactly one of the two writes of key 7 failed: \(outcomes)")
        #expect(outcomes[7] != outcomes[40])
        let rows = try await store.read { db in try db.rows("SELECT k, other FROM scratch ORDER BY k", []) }
        #expect(rows.count == 40)
        // Every successful write's two statements both took effect; the failed one left nothing.
        let others = try rows.map { try $0.decode(Int.self, forColumn: "other") }
        #expect(others.allSatisfy { $0 >= 1000 })
        #expect(try rows.first { try $0.decode(Int.self, forColumn: "k") == 7 }.map { try $0.decode(Int.self, forColumn: "other") } == (outcomes[7] == true ? 1007 : 1040))
    }

    /// Writes of one operation to different tables run as one statement: a child row may follow its parent's insert
    /// (foreign keys are checked at the statement's end), and a part that breaks a constraint fails its operation only.
    @Test func gatheredWritesRunAsOneStatementAndFailOnlyTheirOperation() async throws {
        let (_, url, _) = try database()
        let store = try await PostgresRelayStore(url: url)
        defer { Task { await store.close() } }
        try await store.write { db in
            try db.perform("CREATE TABLE parents (k INTEGER PRIMARY KEY)", [])
            try db.perform("CREATE TABLE children (parent INTEGER NOT NULL REFERENCES parents(k), label TEXT NOT NULL, data BYTEA)", [])
            try db.perform("CREATE TABLE tally (k INTEGER PRIMARY KEY, n BIGINT NOT NULL)", [])
            try db.perform("INSERT INTO tally (k, n) VALUES (1, 0)", [])
        }
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for n in 0..<30 {
                group.addTask {
                    do {
                        try await store.write { db in
                            try db.perform("INSERT INTO parents (k) VALUES (?)", [n])
                            // n = 13 names a parent nobody inserts.
                            try db.perform("INSERT INTO children (parent, label, data) VALUES (?2, ?1, ?3)", ["child \(n)", n == 13 ? 1000 : n, Data([UInt8(n)])])
                            try db.perform("UPDATE tally SET n = n + ? WHERE k = 1", [n])
                        }
                        return (n, true)
                    } catch {
                        return (n, false)
                    }
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes.filter { !$0.value }.map(\.key) == [13])
        let children = try await store.read { db in try db.rows("SELECT parent, label, data FROM children ORDER BY parent", []) }
        #expect(try children.map { try $0.decode(Int.self, forColumn: "parent") } == (0..<30).filter { $0 != 13 })
        #expect(try children.allSatisfy { row in
            let parent = try row.decode(Int.self, forColumn: "parent")
            return try row.decode(String.self, forColumn: "label") == "child \(parent)" && row.decode(Data.self, forColumn: "data") == Data([UInt8(parent)])
        })
        let total = try await store.read { db in try db.value(Int.self, "SELECT n FROM tally WHERE k = 1", []) }
        #expect(total == (0..<30).reduce(0, +) - 13)
        #expect(try await store.read { db in try db.value(Int.self, "SELECT COUNT(*) FROM parents WHERE k = 13", []) } == 0)
    }

    /// Inserts of one text in a group run as one statement binding each column as an array: every value comes back as
    /// written, NULLs (in some rows, or in all of a column) and empty bytes included, into narrower column types too; a
    /// column given values of two types runs as one VALUES row each.
    @Test func insertsMergedIntoArraysKeepEveryValue() async throws {
        let (_, url, _) = try database()
        let store = try await PostgresRelayStore(url: url)
        defer { Task { await store.close() } }
        try await store.write { db in
            try db.perform("CREATE TABLE merged (k INTEGER PRIMARY KEY, small SMALLINT, big BIGINT NOT NULL, label TEXT NOT NULL, data BYTEA, note TEXT, blank BYTEA)", [])
            try db.perform("CREATE TABLE tally_text (k INTEGER PRIMARY KEY, v TEXT NOT NULL)", [])
        }
        let insert = "INSERT INTO merged (k, small, big, label, data, note, blank) VALUES (?, ?, ?, ?, ?, ?, ?)"
        @Sendable func row(_ k: Int) -> [any SQLArgument] {
            [k, k % 3 == 0 ? Int?.none : k, Int64.max - Int64(k), "é \(k) '?'", k == 4 ? Data() : Data([UInt8(k), 0, 255]), k == 5 ? "note" : String?.none, Data?.none]
        }
        try await store.write { db in
            for k in 0..<7 { try db.perform(insert, row(k)) }
            // Values of two types in one column (text, then an integer the server turns into text).
            try db.perform("INSERT INTO tally_text (k, v) VALUES (?, ?)", [1, "one"])
            try db.perform("INSERT INTO tally_text (k, v) VALUES (?, ?)", [2, 2])
        }
        let rows = try await store.read { db in try db.rows("SELECT * FROM merged ORDER BY k", []) }
        #expect(rows.count == 7)
        for (k, stored) in rows.enumerated() {
            #expect(try stored.decode(Int.self, forColumn: "k") == k)
            #expect(try stored.decode(Int?.self, forColumn: "small") == (k % 3 == 0 ? nil : k))
            #expect(try stored.decode(Int64.self, forColumn: "big") == Int64.max - Int64(k))
            #expect(try stored.decode(String.self, forColumn: "label") == "é \(k) '?'")
            #expect(try stored.decode(Data?.self, forColumn: "data") == (k == 4 ? Data() : Data([UInt8(k), 0, 255])))
            #expect(try stored.decode(String?.self, forColumn: "note") == (k == 5 ? "note" : nil))
            #expect(try stored.decode(Data?.self, forColumn: "blank") == nil)
        }
        let texts = try await store.read { db in try db.rows("SELECT v FROM tally_text ORDER BY k", []) }
        #expect(try texts.map { try $0.decode(String.self, forColumn: "v") } == ["one", "2"])
    }

    /// A group sends its COMMIT right behind its writes and expectations, before any answer: an expectation found false
    /// must still leave nothing of what was written assuming it, alone or among others, and the operation that
    /// expected it then reads its own answer. (The server raises on a false one: `isr_expected`.)
    @Test func aFalseExpectationSentWithCommitWritesNothingOfItsGroup() async throws {
        let (_, url, _) = try database()
        let store = try await PostgresRelayStore(url: url)
        defer { Task { await store.close() } }
        try await store.write { db in try db.perform("CREATE TABLE marks (k INTEGER PRIMARY KEY)", []) }
        @Sendable func mark(_ n: Int) async throws -> Bool {
            try await store.write { db in
                let held = try db.expects("SELECT CASE WHEN ? % 100 = 13 THEN 0 ELSE 1 END", [n], keyed: [])
                try db.perform("INSERT INTO marks (k) VALUES (?)", [held ? n : 1000 + n])
                return held
            }
        }
        #expect(try await mark(13) == false, "alone")
        let held = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for n in (0..<40).filter({ $0 != 13 }) + [113] { group.addTask { (n, try await mark(n)) } }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(held.filter { !$0.value }.map(\.key) == [113])
        let marks = try await store.read { db in try db.values(Int.self, "SELECT k FROM marks ORDER BY k", []) }
        #expect(marks == (0..<40).filter { $0 != 13 } + [1013, 1113], "nothing written assuming 13 or 113 held: \(marks)")
    }

    /// Expectations of one text in a group are asked as one query: the group goes on only if every one holds; when
    /// one does not, the group runs again isolated and each operation reads its own answer.
    @Test func expectationsAskedTogetherHoldOnlyIfEachDoes() async throws {
        let (_, url, _) = try database()
        let store = try await PostgresRelayStore(url: url)
        defer { Task { await store.close() } }
        try await store.write { db in
            try db.perform("CREATE TABLE seen (k BIGINT PRIMARY KEY, label TEXT NOT NULL)", [])
            try db.perform("INSERT INTO seen (k, label) VALUES (?, ?), (?, ?)", [3, "three", 5, "five"])
        }
        let unseen = "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM seen WHERE k = ? OR label = ?) THEN 1 ELSE 0 END"
        func answers(_ keys: [Int]) async throws -> [Bool] {
            try await store.write { db in try keys.map { key in try db.expects(unseen, [key, "label \(key)"], keyed: []) } }
        }
        #expect(try await answers([1, 2, 4, 6]) == [true, true, true, true])
        #expect(try await answers([1, 2, 3, 4, 5]) == [true, true, false, true, false])
        #expect(try await answers([5]) == [false])
    }

    /// A group's acceptances are checked ahead (a new packet, active parties) and read in full only when that check
    /// fails: a retry, a reused id, a revoked recipient or a packet sent twice at once, among good packets, each get
    /// their own answer; the rest are stored once, and each answer's committed head covers its packet. Each kind of
    /// bad send goes in a burst of its own (one failing check reruns its whole group the careful way).
    @Test func acceptancesThatFailWhatTheyExpectGetTheirOwnAnswerInAGroup() async throws {
        let (_, url, _) = try database()
        let store = try await PostgresRelayStore(url: url)
        defer { Task { await store.close() } }
        _ = try await Fixture.populate(store)
        guard case .accepted(let first) = try await store.insertPacket(Fixture.packet(1), event: Fixture.event("packet.accepted", Fixture.alice), linked: []) else {
            Issue.record("the first packet was not accepted")
            return
        }
        _ = try await store.revokeMember(Fixture.carol, reason: "left", at: 2, event: Fixture.event("member.revoked"))
        let before = try await store.treeHead().size
        enum Answer: Equatable { case accepted(UInt64), duplicate, refused(StoreErrorCode) }
        let bursts: [[(label: String, packet: NewPacket)]] = [
            [("retry", Fixture.packet(1))], [("reused id", Fixture.packet(1, bytes: Array("other content".utf8)))],
            [("to carol", Fixture.packet(50, to: [Fixture.carol]))], [("twice a", Fixture.packet(60)), ("twice b", Fixture.packet(60))],
        ]
        var answers: [String: Answer] = [:]
        for (n, bad) in bursts.enumerated() {
            let sends = (0..<15).map { ("good \(n) \($0)", Fixture.packet(100 * (n + 1) + $0)) } + bad
            answers.merge(try await withThrowingTaskGroup(of: (String, Answer).self) { group in
                for (label, packet) in sends {
                    group.addTask {
                        do {
                            let outcome = try await store.insertPacket(packet, event: Fixture.event("packet.accepted", Fixture.alice, packet: packet.record.id), linked: [])
                            let head = try await store.committedHead()
                            #expect(head.size > outcome.record.leafIndex, "the committed head covers \(label)'s leaf")
                            if case .accepted(let record) = outcome { return (label, .accepted(record.leafIndex)) }
                            return (label, .duplicate)
                        } catch let error as StoreError {
                            return (label, .refused(error.code))
                        }
                    }
                }
                return try await group.reduce(into: [String: Answer]()) { $0[$1.0] = $1.1 }
            }) { $1 }
        }
        #expect(answers["retry"] == .duplicate)
        #expect(answers["reused id"] == .refused(.packetConflict))
        #expect(answers["to carol"] == .refused(.notActive))
        #expect(Set([answers["twice a"], answers["twice b"]].map { $0 == .duplicate }) == [true, false], "one of two identical sends was stored, the other answered as a retry")
        let stored = answers.values.compactMap { answer -> UInt64? in if case .accepted(let leaf) = answer { leaf } else { nil } }
        #expect(stored.count == 4 * 15 + 1)
        #expect(Set(stored) == Set(before..<(before + 61)), "gap-free leaves, one per stored packet")
        let head = try await store.verifyAuditLog()
        #expect(head.size == before + 61)
        #expect(try await store.committedHead() == head)
        #expect(try await store.packet(Fixture.id(1))?.leafIndex == first.leafIndex)
        #expect(try await store.packet(Fixture.id(50)) == nil)
    }

    /// An expectation sent ahead must not miss a write an earlier operation of its group gathered: it goes after the
    /// gathered writes when it reads a table they change. Serially, only the first of these operations sees the flag.
    @Test func anExpectationSeesTheWritesGatheredBeforeIt() async throws {
        let (_, url, _) = try database()
        let store = try await PostgresRelayStore(url: url)
        defer { Task { await store.close() } }
        try await store.write { db in try db.perform("CREATE TABLE marks (k INTEGER PRIMARY KEY)", []) }
        // Each operation's insert joins one multi-row insert, so nothing but this rule sends them before the checks.
        let saw = try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<40 {
                group.addTask {
                    try await store.write { db in
                        let first = try db.expects("SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM marks) THEN 1 ELSE 0 END", [], keyed: [])
                        try db.perform("INSERT INTO marks (k) VALUES (?)", [n])
                        return first
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(saw.filter { $0 }.count == 1, "exactly one operation found no marks: \(saw)")
        #expect(store.groupsCommitted < 40, "operations shared groups")
    }

    /// Acceptances check their parties ahead of the group's gathered writes only when those writes change no registry
    /// table: a member revoked in the same burst is never a recipient of a packet logged after the revocation.
    @Test func noPacketToARevokedMemberIsLoggedAfterTheRevocation() async throws {
        let (_, url, _) = try database()
        let store = try await PostgresRelayStore(url: url)
        defer { Task { await store.close() } }
        _ = try await Fixture.populate(store)
        for round in 0..<4 {
            let member = try MemberID("m\(round)@devon-csc")
            _ = try await store.insertMember(Fixture.member(member), event: Fixture.event("member.enrolled"))
            let results = try await withThrowingTaskGroup(of: (revocation: UInt64?, packet: UInt64?).self) { group in
                for n in 0..<30 {
                    group.addTask {
                        if n == 12 {
                            return (try await store.revokeMember(member, reason: "left", at: 2, event: Fixture.event("member.revoked")), nil)
                        }
                        let packet = Fixture.packet(1000 * (round + 1) + n, to: [member])
                        do {
                            let outcome = try await store.insertPacket(packet, event: Fixture.event("packet.accepted", Fixture.alice, packet: packet.record.id), linked: [])
                            return (nil, outcome.record.leafIndex)
                        } catch let error as StoreError where error.code == .notActive {
                            return (nil, nil)
                        }
                    }
                }
                return try await group.reduce(into: [(revocation: UInt64?, packet: UInt64?)]()) { $0.append($1) }
            }
            let revoked = try #require(results.compactMap(\.revocation).first)
            let accepted = results.compactMap(\.packet)
            #expect(accepted.allSatisfy { $0 < revoked }, "round \(round): packets logged after the revocation at \(revoked): \(accepted.filter { $0 > revoked })")
            #expect(accepted.count + results.filter { $0.revocation == nil && $0.packet == nil }.count == 29)
        }
        _ = try await store.verifyAuditLog()
    }

    /// A group's first acceptances, fetches and receipts are built while it waits for the audit-log lock (here held by
    /// another instance), at placeholder positions that become real once the lock gives the log's edge: in the statements (the
    /// stored packet's leaf, the leaf's own position) and in the value the caller gets. A positioned write that reads
    /// cannot be built ahead: its group is built after the lock instead, even if it swallows the refusal.
    @Test func writesBuiltBeforeTheLockGetTheirRealPositions() async throws {
        let (_, url, _) = try database()
        let store = try await PostgresRelayStore(url: url)
        let other = try await PostgresRelayStore(url: url)
        defer { Task { await store.close(); await other.close() } }
        _ = try await Fixture.populate(store)
        let before = try await store.treeHead().size
        /// Runs `burst` once the other instance's group holds the lock (for 0.6 s), so the burst waits for it.
        func whileTheOtherHoldsTheLock<T: Sendable>(_ burst: @Sendable () async throws -> T) async throws -> T {
            let holding = Signal()
            async let pause: Void = other.write { db in
                holding.raise()
                _ = try db.value(Int.self, "SELECT 1 FROM pg_sleep(0.6)")
            }
            for _ in 0..<500 where !holding.isRaised { try await Task.sleep(for: .milliseconds(10)) }
            #expect(holding.isRaised, "the other instance took the lock")
            let value = try await burst()
            try await pause
            return value
        }
        let accepts = try await whileTheOtherHoldsTheLock {
            try await withThrowingTaskGroup(of: (n: Int, leaf: UInt64).self) { group in
                for n in 0..<60 {
                    group.addTask {
                        let packet = Fixture.packet(n)
                        return (n, try await store.insertPacket(packet, event: Fixture.event("packet.accepted", Fixture.alice, packet: packet.record.id, at: Int64(n)), linked: []).record.leafIndex)
                    }
                }
                return try await group.reduce(into: [(n: Int, leaf: UInt64)]()) { $0.append($1) }
            }
        }
        // The first is built while the lock is awaited; those that come meanwhile join its group once the lock answers.
        #expect(store.operationsBuiltAhead > 0, "the burst's first accept was built while the lock was awaited")
        #expect(Set(accepts.map(\.leaf)) == Set(before..<(before + 60)), "gap-free real positions, one per packet")
        for (n, leaf) in accepts {
            let event = Fixture.event("packet.accepted", Fixture.alice, packet: Fixture.id(n), at: Int64(n))
            #expect(try await store.auditLeaves(start: leaf, end: leaf + 1) == [event.derEncoded()], "packet \(n)'s leaf is at the position it was given")
            #expect(try await store.packet(Fixture.id(n))?.leafIndex == leaf)
        }
        // A write that reads the log's size first, sent first, then accepts behind it: the read is refused while sends
        // are held, so the group runs once the lock is granted; what the write returns is what it saw then.
        let reader = try await whileTheOtherHoldsTheLock {
            async let record = store.writePositioned { db in
                let size = try? PostgresRelayStore.auditSize(db)
                let leaf = try PostgresRelayStore.append(Fixture.event("test.read-first"), db)
                var record = Fixture.packet(99).record
                record.leafIndex = leaf
                record.acceptedAt = size.map { Int64($0) } ?? -1
                return record
            }
            try await Task.sleep(for: .milliseconds(20))
            for n in 60..<70 {
                let packet = Fixture.packet(n)
                _ = try await store.insertPacket(packet, event: Fixture.event("packet.accepted", Fixture.alice, packet: packet.record.id, at: Int64(n)), linked: [])
            }
            return try await record
        }
        #expect(reader.acceptedAt == Int64(reader.leafIndex), "the write that read ran after the lock and read the log's size")
        #expect(try await store.auditLeaves(start: reader.leafIndex, end: reader.leafIndex + 1) == [Fixture.event("test.read-first").derEncoded()])
        // Fetches are built ahead too; then a second fetch of each (nil: nothing is written twice) with its receipt.
        let built = store.operationsBuiltAhead
        var steps: [(event: AuditEvent, leaf: UInt64?)] = []
        for kinds in [["packet.delivered"], ["packet.delivered", "packet.read"]] {
            steps += try await whileTheOtherHoldsTheLock {
                try await withThrowingTaskGroup(of: (event: AuditEvent, leaf: UInt64?).self) { group in
                    for n in 0..<60 {
                        for kind in kinds {
                            group.addTask {
                                let event = Fixture.event(kind, Fixture.bob, packet: Fixture.id(n), at: Int64(n))
                                if kind == "packet.read" {
                                    return (event, try await store.recordReceipt(Fixture.id(n), member: Fixture.bob, receipt: [1, 2, 3], event: event))
                                }
                                return (event, try await store.recordDelivery(Fixture.id(n), member: Fixture.bob, event: event))
                            }
                        }
                    }
                    return try await group.reduce(into: [(event: AuditEvent, leaf: UInt64?)]()) { $0.append($1) }
                }
            }
            if kinds.count == 1 { #expect(store.operationsBuiltAhead > built, "the first fetch was built ahead") }
        }
        let logged = steps.compactMap { step in step.leaf.map { (step.event, $0) } }
        #expect(logged.count == 120, "one fetch and one receipt of each packet recorded")
        let start = before + 71
        #expect(Set(logged.map(\.1)) == Set(start..<(start + 120)))
        for (event, leaf) in logged {
            #expect(try await store.auditLeaves(start: leaf, end: leaf + 1) == [event.derEncoded()], "\(event.kind)'s leaf is at the position it was given")
        }
        let head = try await store.verifyAuditLog()
        #expect(head.size == start + UInt64(logged.count))
        #expect(try await store.committedHead() == head)
    }

    /// A writer takes the log's right edge from the head row with its lock; the row's edge is the log's, and an edge
    /// that does not give the row's root is not trusted (the edge is read from the log instead).
    @Test func theHeadRowHoldsTheLogsRightEdgeAndABadOneIsNotTrusted() async throws {
        let (cluster, url, name) = try database()
        let store = try await PostgresRelayStore(url: url)
        defer { Task { await store.close() } }
        _ = try await Fixture.populate(store)
        for n in 0..<5 { _ = try await store.insertPacket(Fixture.packet(n), event: Fixture.event("packet.accepted", Fixture.alice), linked: []) }
        let (stored, log) = try await store.write { db in
            let session = try #require(db as? PostgresSession)
            return (try AuditHeadRow.edge(session).map { [$0.size: $0.roots] }, [try PostgresRelayStore.rightEdge(db)].map { [$0.size: $0.roots] }.first)
        }
        #expect(stored != nil && stored == log)
        // A damaged edge (right length, wrong hashes; written outside the relay, whose own groups rewrite the row) is
        // refused, and the next appends still build a valid log.
        _ = try cluster.command("psql", ["-h", cluster.directory, "-p", String(cluster.port), "-U", cluster.user, "-d", name, "-q", "-c",
                                         "UPDATE audit_head SET frontier = decode(repeat('00', length(frontier)), 'hex')"])
        #expect(try await store.read { db in try AuditHeadRow.edge(try #require(db as? PostgresSession)) } == nil)
        for n in 5..<10 { _ = try await store.insertPacket(Fixture.packet(n), event: Fixture.event("packet.accepted", Fixture.alice), linked: []) }
        #expect(try await store.verifyAuditLog().size == (try await store.treeHead().size))
    }

    @Test func instancesShareOneLogOneRegistryAndOneLeader() async throws {
        let (_, url, _) = try database()
        let a = try await PostgresRelayStore(url: url)
        let b = try await PostgresRelayStore(url: url)
        let populated = try await Fixture.populate(a)
        #expect(populated == 7)
        // B sees A's registry, and a revocation through A reaches B's cache through the notification channel.
        #expect(try await b.member(Fixture.carol)?.status == .active)
        _ = try await a.revokeMember(Fixture.carol, reason: "left", at: 2, event: Fixture.event("member.revoked"))
        var seen: Member.Status?
        for _ in 0..<50 {
            seen = try await b.member(Fixture.carol)?.status
            if seen == .revoked { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(seen == .revoked, "instance B dropped its cached registry when A revoked carol")
        // Writes through both instances at once: one gap-free log that both publish the same head for.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<40 {
                let store = n % 2 == 0 ? a : b
                group.addTask {
                    _ = try await store.insertPacket(Fixture.packet(100 + n), event: Fixture.event("packet.accepted", Fixture.alice, packet: Fixture.id(100 + n)),
                                                     linked: [])
                }
            }
            try await group.waitForAll()
        }
        let head = try await a.verifyAuditLog()
        #expect(head.size == 9 + 40)
        #expect(try await b.treeHead() == head)
        // Exactly one instance leads; when it closes, the other takes over.
        let leadsA = await a.leads()
        let leadsB = await b.leads()
        #expect(leadsA != leadsB, "exactly one of two instances leads")
        let (leader, follower) = leadsA ? (a, b) : (b, a)
        await leader.close()
        var took = false
        for _ in 0..<50 where !took {
            took = await follower.leads()
            if !took { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(took, "the other instance took the lead once the leader's session ended")
        await follower.close()
    }

    @Test func connectionsKilledByTheServerAreReplacedAndNothingIsHalfWritten() async throws {
        let (cluster, url, name) = try database()
        let store = try await PostgresRelayStore(url: url)
        _ = try await Fixture.populate(store)
        _ = try await store.insertPacket(Fixture.packet(1), event: Fixture.event("packet.accepted", Fixture.alice, packet: Fixture.id(1)), linked: [])
        // The server ends every session of this database (a failover, a restart, an admin's pg_terminate_backend).
        try cluster.command("psql", ["-h", cluster.directory, "-p", String(cluster.port), "-U", cluster.user, "-d", "postgres", "-q", "-c",
                                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)' AND pid <> pg_backend_pid()"])
        // The next write and read each get a new connection (the write's group had not begun: safe to retry).
        _ = try await store.insertPacket(Fixture.packet(2), event: Fixture.event("packet.accepted", Fixture.alice, packet: Fixture.id(2)), linked: [])
        #expect(try await store.packet(Fixture.id(2)) != nil)
        #expect(try await store.verifyAuditLog().size == 10)
        await store.close()
    }

    /// isr-bench's measure of what bounds several instances: the audit-log lock's holders and waiters, read from
    /// `pg_locks` under the key every write group takes.
    @Test func theAuditLockOccupancySeesTheLockEveryWriteGroupTakes() async throws {
        let (_, url, _) = try database()
        let (holder, writer) = (try await PostgresRelayStore(url: url), try await PostgresRelayStore(url: url))
        // Another deployment's database on the same server holds the same key: not this database's lock.
        let elsewhere = try await PostgresRelayStore(url: try database().url)
        try await elsewhere.write { db in try db.execute("SELECT pg_advisory_lock(?)", [PostgresGroupCommit.auditLock]) }
        let (_, free) = await AuditLockOccupancy.measure(url: url, interval: .milliseconds(1)) { try? await Task.sleep(for: .milliseconds(30)) }
        #expect(free?.held == 0 && free?.waiting == 0 && (free?.samples ?? 0) > 0, "\(String(describing: free))")
        await elsewhere.close()
        // One session holds the lock past its transaction; another instance's write group then waits for it.
        try await holder.write { db in try db.execute("SELECT pg_advisory_lock(?)", [PostgresGroupCommit.auditLock]) }
        let event = AuditEvent(kind: "test.blocked", time: 1, actor: "test", packetID: nil, attributes: [:])
        async let appended = writer.appendAuditEvents([event])
        var busy: AuditLockOccupancy?
        for _ in 0..<250 where (busy?.waiting ?? 0) < 1 {
            (_, busy) = await AuditLockOccupancy.measure(url: url, interval: .milliseconds(1)) { try? await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(busy?.held == 1 && busy?.waiting == 1, "\(String(describing: busy))")
        // Closing the holder's sessions frees the lock.
        await holder.close()
        #expect(try await appended == 1, "the waiting group went on once the lock was free")
        let (_, after) = await AuditLockOccupancy.measure(url: url, interval: .milliseconds(1)) { try? await Task.sleep(for: .milliseconds(30)) }
        #expect(after?.held == 0 && after?.waiting == 0, "\(String(describing: after))")
        await writer.close()
        let unreachable = await AuditLockOccupancy.measure(url: "postgres://isr@127.0.0.1:1/none") { 7 }
        #expect(unreachable.0 == 7 && unreachable.1 == nil, "the measured work runs even when the database cannot be reached")
    }

    @Test func aBadURLIsAClearError() async throws {
        let error = await #expect(throws: StoreError.self) { try await PostgresRelayStore(url: "mysql://x@y/z") }
        #expect(error?.message.contains("postgres://USER") == true)
        let refused = await #expect(throws: StoreError.self) { try await PostgresRelayStore(url: "postgres://isr@127.0.0.1:1/none") }
        #expect(refused?.code == .unavailable && refused?.message.contains("postgres://isr@127.0.0.1:1/none") == true)
    }
}

/// Set once by one thread, seen by another.
private final class Signal: Sendable {
    private let raised = Atomic<Bool>(false)
    var isRaised: Bool { raised.load(ordering: .acquiring) }
    func raise() { raised.store(true, ordering: .releasing) }
}
