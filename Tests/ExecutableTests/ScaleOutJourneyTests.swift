import Foundation
import ISRStorePostgres
import ISRTestSupport
import Synchronization
import Testing

/// Two real `isr-relay` processes of one deployment on one real PostgreSQL database, and the CLI pointed at either
/// (`ISR_RELAY_URL`): a share crosses instances, a revocation through one is refused by the other, concurrent sends
/// leave one gap-free log, a SIGKILLed instance loses nothing acknowledged, and the survivor takes over escalation.
@Suite(.serialized, .blocksThreads) struct ScaleOutJourneyTests {
    let journey = CLIJourneyTests()
    let passphrase = ["ISR_PASSPHRASE": "correct horse battery staple"]

    func isr(_ arguments: [String], home: String, via relays: String? = nil) throws -> ExecutableTests.Run {
        try journey.isr(arguments, home: home, environment: passphrase.merging(relays.map { ["ISR_RELAY_URL": $0] } ?? [:]) { a, _ in a })
    }

    func share(_ to: String) -> [String] {
        ["send", "--to", to, "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding", "--consent", "given",
         "--consent-reason", "Mother agreed on 18 Nov", "--informed", "yes", "--statement", "Assessment of needs", "--fact", "Attendance 62%",
         "--source", "register", "--field", "name=Sam Example", "--field", "date_of_birth=2015-03-12", "--yes", "--json"]
    }

    func sentID(_ run: ExecutableTests.Run) -> String? {
        guard run.status == 0 else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["id"] as? String
    }

    /// Waits (at most `seconds`) until `check` holds.
    func eventually(_ seconds: Double, _ check: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try check() { return true }
            Thread.sleep(forTimeInterval: 0.25)
        }
        return try check()
    }

    @Test func twoInstancesOnOneDatabaseShareOneLifecycleOneRegistryAndOneLog() throws {
        let cluster = try ScratchPostgres()
        defer { cluster.stop() }
        let database = try cluster.createDatabase()
        let (first, _, a, _, _) = try journey.deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner"),
                                                      ("carol@devon-csc", "Carol White", "practitioner")],
                                                     duty: ["bob@devon-csc"], drill: true, storeURL: database)
        defer { if first.isRunning { first.terminate(); first.waitUntilExit() } }
        // The second instance: the same deployment (certificates, relay signing key, database), another port.
        let portB = CLIJourneyTests.freePort()
        let configA = journey.root + "/deployment/relay.toml"
        let configB = journey.root + "/deployment/relay-b.toml"
        let text = try String(contentsOfFile: configA, encoding: .utf8)
        let portLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("port = ") })
        try text.replacingOccurrences(of: String(portLine), with: "port = \(portB)").write(toFile: configB, atomically: true, encoding: .utf8)
        let second = try journey.startRelay(configB)
        defer { if second.isRunning { second.terminate(); second.waitUntilExit() } }
        let b = "https://localhost:\(portB)"

        // A share accepted by A is fetched, read back and confirmed through B; A shows the whole history.
        let id = try #require(sentID(try isr(share("bob@devon-csc"), home: "alice", via: a)))
        journey.expect(try isr(["read", id], home: "bob", via: b), exit: 0, "Attendance 62%")
        journey.expect(try isr(["ack", id, "--understood", "Attendance is 62%, below expected", "--concern", "medium"], home: "bob", via: b), exit: 0, "Read-back")
        journey.expect(try isr(["confirm", id, "--yes"], home: "alice", via: b), exit: 0, "Confirmed \(id)")
        let status = try journey.json(try isr(["status", id, "--json"], home: "alice", via: a))
        // (The drill deadline is 2 s: on a loaded machine the read-back can come after its escalation.)
        #expect((status["history"] as? [[String: Any]])?.compactMap { $0["state"] as? String }.filter { $0 != "overdue" }
                == ["accepted", "delivered", "read", "acknowledged", "confirmed"])

        // A member revoked through A is refused by B on their next request (B had them in its registry cache).
        journey.expect(try isr(["inbox"], home: "carol", via: b), exit: 0, "inbox")
        journey.expect(try isr(["admin", "member", "revoke", "carol@devon-csc", "--reason", "left the service"], home: "admin", via: a), exit: 0, "Revoked carol@devon-csc")
        let refused = try isr(["inbox"], home: "carol", via: b)
        #expect(refused.status == 1 && refused.stderr.contains("revoked"), "\(refused.stderr)")

        // Concurrent sends through both instances; then SIGKILL of A while more are in flight (each client lists both
        // instances, in a different order). Every acknowledged packet is there once; the log verifies gap-free.
        func sendAll(_ count: Int, order: @escaping @Sendable (Int) -> String) -> [ExecutableTests.Run] {
            let results = Mutex<[ExecutableTests.Run]>([])
            DispatchQueue.concurrentPerform(iterations: count) { index in
                let home = index % 2 == 0 ? "alice" : "bob"
                let run = (try? isr(share(home == "alice" ? "bob@devon-csc" : "alice@school-a"), home: home, via: order(index)))
                    ?? ExecutableTests.Run(status: -1, stdout: "", stderr: "could not start isr")
                results.withLock { $0.append(run) }
            }
            return results.withLock { $0 }
        }
        let calm = sendAll(8) { $0 % 4 < 2 ? a : b }
        #expect(calm.allSatisfy { $0.status == 0 }, "\(calm.map(\.stderr))")
        journey.expect(try isr(["audit", "verify"], home: "admin", via: b), exit: 0, "leaves hash to the root the relay signed")

        let killer = DispatchWorkItem { kill(first.processIdentifier, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.4, execute: killer)
        let stormy = sendAll(12) { $0 % 2 == 0 ? "\(a),\(b)" : "\(b),\(a)" }
        killer.wait()
        first.waitUntilExit()
        let acknowledged = stormy.compactMap(sentID) + calm.compactMap(sentID)
        #expect(stormy.allSatisfy { $0.status == 0 || $0.status == 3 }, "a send either succeeded or could not reach a relay: \(stormy.map(\.stderr))")
        #expect(acknowledged.count >= 8 + 6, "the sends listing the surviving instance first all succeed: \(stormy.map(\.stderr))")
        #expect(Set(acknowledged).count == acknowledged.count, "no packet id acknowledged twice")
        for packet in acknowledged {
            // Alice or Bob sent it; its sender sees its status.
            let run = try isr(["status", packet, "--json"], home: "alice", via: b)
            let other = run.status == 0 ? run : try isr(["status", packet, "--json"], home: "bob", via: b)
            #expect(other.status == 0, "acknowledged packet \(packet) is in the store: \(other.stderr)")
        }
        let leaves = try isr(["audit", "verify"], home: "admin", via: b)
        journey.expect(leaves, exit: 0, "leaves hash to the root the relay signed")

        // A home that lists both instances (the dead one first) fails over on its own, without ISR_RELAY_URL.
        journey.expect(try isr(["config", "relays", "\(a), \(b)"], home: "bob"), exit: 0, "2. \(b)")
        journey.expect(try isr(["config", "relays", "ftp://relay.example"], home: "bob"), exit: 2, "not a relay URL")
        journey.expect(try isr(["whoami"], home: "bob"), exit: 0, "relay:        \(a), \(b)")
        let failover = try isr(["inbox", "--json"], home: "bob")
        #expect(failover.status == 0, "bob's home reached B after A refused the connection: \(failover.stderr)")

        // The survivor takes over escalation: a share sent through B after A died is escalated when its 2 s pass.
        let late = try #require(sentID(try isr(share("bob@devon-csc"), home: "alice", via: b)))
        let escalated = try eventually(20) {
            try isr(["status", late], home: "alice", via: b).stdout.split(separator: "\n").contains { $0.contains(" overdue ") && $0.hasSuffix("relay") }
        }
        #expect(escalated, "B escalated the overdue read-back after A was killed")
    }
}
