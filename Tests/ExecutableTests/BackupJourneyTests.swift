import Foundation
import ISRStorePostgres
import ISRTestSupport
import Synchronization
import Testing

/// Backups taken while practitioners send, restored into a fresh store, served by a new relay whose whole audit log
/// `isr audit verify` re-hashes: SQLite with `isr-relay backup`/`restore`, PostgreSQL with `pg_dump`/`pg_restore`.
@Suite(.serialized, .blocksThreads) struct BackupJourneyTests {
    let scale = ScaleOutJourneyTests()
    /// The homes and deployment live under the scale-out helper's journey root.
    var journey: CLIJourneyTests { scale.journey }

    /// Sends `count` shares at once (alice → bob and bob → alice) while `during` runs; returns the acknowledged ids.
    func sendWhile(_ count: Int, via relay: String, during: @escaping @Sendable () throws -> ExecutableTests.Run) throws -> (sent: [String], during: ExecutableTests.Run) {
        let sent = Mutex<[String]>([])
        let result = Mutex<ExecutableTests.Run?>(nil)
        DispatchQueue.concurrentPerform(iterations: count + 1) { index in
            if index == count {
                Thread.sleep(forTimeInterval: 0.3)
                result.withLock { $0 = try? during() }
                return
            }
            let home = index % 2 == 0 ? "alice" : "bob"
            if let run = try? scale.isr(scale.share(home == "alice" ? "bob@devon-csc" : "alice@school-a"), home: home, via: relay), let id = scale.sentID(run) {
                sent.withLock { $0.append(id) }
            }
        }
        return (sent.withLock { $0 }, try #require(result.withLock { $0 }, "the backup ran"))
    }

    /// A copy of the deployment's relay.toml on another port, with `replace` applied; returns its path and URL.
    func otherRelayConfig(_ name: String, _ replace: (String) -> String) throws -> (path: String, url: String) {
        let port = CLIJourneyTests.freePort()
        let text = try String(contentsOfFile: journey.root + "/deployment/relay.toml", encoding: .utf8)
        let portLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("port = ") })
        let path = journey.root + "/deployment/\(name).toml"
        try replace(text.replacingOccurrences(of: String(portLine), with: "port = \(port)")).write(toFile: path, atomically: true, encoding: .utf8)
        return (path, "https://localhost:\(port)")
    }

    @Test func anSQLiteBackupTakenWhileSendingRestoresToALogThatVerifies() throws {
        let (relay, _, url, _, _) = try journey.deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                                       duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        let first = try #require(scale.sentID(try scale.isr(scale.share("bob@devon-csc"), home: "alice")))
        let config = journey.root + "/deployment/relay.toml"
        let backup = journey.root + "/backup.sqlite"
        let (sent, run) = try sendWhile(8, via: url) { try ExecutableTests.run("isr-relay", ["backup", "--out", backup, "--config", config]) }
        journey.expect(run, exit: 0, "leaves verified")
        #expect(sent.count == 8)
        let again = try ExecutableTests.run("isr-relay", ["backup", "--out", backup, "--config", config])
        #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again.stderr)")

        let restored = try otherRelayConfig("relay-restored") { $0.replacingOccurrences(of: "path = \"data/relay.sqlite\"", with: "path = \"restored/relay.sqlite\"") }
        journey.expect(try ExecutableTests.run("isr-relay", ["restore", "--from", backup, "--config", restored.path]), exit: 0, "leaves verified")
        let twice = try ExecutableTests.run("isr-relay", ["restore", "--from", backup, "--config", restored.path])
        #expect(twice.status == 1 && twice.stderr.contains("move the current store"), "\(twice.stderr)")
        let second = try journey.startRelay(restored.path)
        defer { second.terminate(); second.waitUntilExit() }
        journey.expect(try scale.isr(["audit", "verify"], home: "admin", via: restored.url), exit: 0, "leaves hash to the root the relay signed")
        journey.expect(try scale.isr(["status", first], home: "alice", via: restored.url), exit: 0, "accepted")

        // A backup whose log was altered (one byte of one leaf) is not installed.
        let tampered = journey.root + "/tampered.sqlite"
        try FileManager.default.copyItem(atPath: backup, toPath: tampered)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            data = bytearray(db.execute("SELECT data FROM audit_leaves WHERE leaf_index = 3").fetchone()[0])
            data[-1] ^= 1
            db.execute("UPDATE audit_leaves SET data = ? WHERE leaf_index = 3", (bytes(data),))
            db.commit()
            """, tampered]
        try python.run()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        let other = try otherRelayConfig("relay-tampered") { $0.replacingOccurrences(of: "path = \"data/relay.sqlite\"", with: "path = \"tampered/relay.sqlite\"") }
        let refused = try ExecutableTests.run("isr-relay", ["restore", "--from", tampered, "--config", other.path])
        #expect(refused.status == 1 && refused.stderr.contains("do not hash to the root"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: journey.root + "/deployment/tampered/relay.sqlite"))
    }

    @Test func aPostgreSQLDumpTakenWhileSendingRestoresToALogThatVerifies() throws {
        let cluster = try ScratchPostgres()
        defer { cluster.stop() }
        let database = try cluster.createDatabase()
        let name = String(try #require(database.split(separator: "/").last))
        let (relay, _, url, _, _) = try journey.deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                                       duty: ["bob@devon-csc"], storeURL: database)
        defer { relay.terminate(); relay.waitUntilExit() }
        let first = try #require(scale.sentID(try scale.isr(scale.share("bob@devon-csc"), home: "alice")))
        let dump = cluster.directory + "/relay.dump"
        let (sent, _) = try sendWhile(8, via: url) {
            let output = try cluster.command("pg_dump", ["--format=custom", "--file", dump, "-h", cluster.directory, "-p", String(cluster.port), "-U", cluster.user, name])
            return ExecutableTests.Run(status: 0, stdout: output, stderr: "")
        }
        #expect(sent.count == 8)
        let fresh = try cluster.createDatabase()
        let freshName = String(try #require(fresh.split(separator: "/").last))
        try cluster.command("pg_restore", ["--exit-on-error", "--no-owner", "-h", cluster.directory, "-p", String(cluster.port), "-U", cluster.user, "-d", freshName, dump])
        let restored = try otherRelayConfig("relay-restored") { $0.replacingOccurrences(of: "url = \"\(database)\"", with: "url = \"\(fresh)\"") }
        let second = try journey.startRelay(restored.path)
        defer { second.terminate(); second.waitUntilExit() }
        journey.expect(try scale.isr(["audit", "verify"], home: "admin", via: restored.url), exit: 0, "leaves hash to the root the relay signed")
        journey.expect(try scale.isr(["status", first], home: "alice", via: restored.url), exit: 0, "accepted")
    }
}
