import Foundation
import ISRTestSupport
import Testing

/// isr-bench, run for seconds so it cannot rot: every phase completes against the real relay with no errors.
/// No speed thresholds here; numbers come from release builds (README, "Performance").
@Suite(.blocksThreads) struct BenchSmokeTests {
    struct Report: Decodable {
        struct Phase: Decodable {
            let name: String
            let operations: Int
            let errors: Int
            let firstError: String?
            let operationsPerSecond: Double
            let latencyP99: Double
            let relayCPUSeconds: Double?
            let relayPeakRSS: UInt64?
            let auditLock: Lock?
        }
        struct Lock: Decodable {
            let samples: Int
            let held: Double
            let waiting: Double
        }
        struct Idle: Decodable {
            let connections: Int
            let opened: Int
            let relayRSSWith: UInt64?
        }
        let packets: Int
        let packetBytes: Int
        let buildMicrosPerPacket: Double
        let auditLeavesBefore: UInt64?
        let phases: [Phase]
        let baseline: Phase?
        let acceptToBaseline: Double?
        let idle: Idle?
        let store: String?
        let instances: Int?
    }

    static func bench(_ arguments: [String]) throws -> (ExecutableTests.Run, Report?) {
        let run = try ExecutableTests.run("isr-bench", arguments + ["--json"])
        return (run, try? JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8)))
    }

    @Test func everyPhaseRunsAgainstTheRealRelay() throws {
        var arguments = ["--connections", "2", "--packets", "24", "--body-bytes", "1024"]
        let nginx = FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx")
        if nginx { arguments.append("--baseline-nginx") }
        let (run, report) = try Self.bench(arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(report, "JSON report: \(run.stdout.prefix(400)) \(run.stderr.suffix(400))")
        #expect(result.phases.map(\.name) == ["accept", "inbox", "deliver", "read-back", "confirm"])
        for phase in result.phases {
            #expect(phase.errors == 0, "\(phase.name): \(phase.firstError ?? "")")
            #expect(phase.operations == (phase.name == "inbox" ? 2 : 24), "\(phase.name)")
            #expect(phase.operationsPerSecond > 0 && phase.latencyP99 > 0)
            #expect(phase.relayCPUSeconds != nil && phase.relayPeakRSS != nil, "the relay's usage is read from /proc")
            #expect(phase.auditLock == nil, "no PostgreSQL lock to sample on SQLite")
        }
        #expect(result.packetBytes > 1024 && result.buildMicrosPerPacket > 0)
        if nginx {
            let baseline = try #require(result.baseline)
            #expect(baseline.operations == 24 && baseline.errors == 0, "\(baseline.firstError ?? "")")
            #expect(result.acceptToBaseline != nil)
        }
    }

    @Test func twoRelayInstancesOnAThrowAwayPostgreSQL() throws {
        let (run, report) = try Self.bench(["--store", "postgres", "--instances", "2", "--connections", "4", "--packets", "40", "--prefill-leaves", "100"])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(report, "JSON report: \(run.stdout.prefix(400)) \(run.stderr.suffix(400))")
        #expect(result.store == "postgres" && result.instances == 2)
        #expect((result.auditLeavesBefore ?? 0) >= 100, "the prefill went into the PostgreSQL store")
        #expect(result.phases.map(\.name) == ["accept", "inbox", "deliver", "read-back", "confirm"])
        for phase in result.phases {
            #expect(phase.errors == 0, "\(phase.name): \(phase.firstError ?? "")")
            #expect(phase.operations == (phase.name == "inbox" ? 4 : 40), "\(phase.name)")
            if phase.name != "inbox" {
                let lock = try #require(phase.auditLock, "\(phase.name): the audit-log lock was sampled")
                #expect(lock.samples > 0 && (0...1).contains(lock.held) && lock.waiting >= 0, "\(phase.name): \(lock)")
            }
        }
        let refused = try ExecutableTests.run("isr-bench", ["--instances", "2"])
        #expect(refused.status != 0 && refused.stderr.contains("only with --store postgres"), "\(refused.stderr)")
    }

    @Test func openLoopPrefilledLogAndIdleConnections() throws {
        let (paced, pacedReport) = try Self.bench(["--connections", "2", "--packets", "10", "--rate", "50", "--prefill-leaves", "3000"])
        #expect(paced.status == 0, "\(paced.stderr)")
        let report = try #require(pacedReport)
        #expect((report.auditLeavesBefore ?? 0) >= 3000, "the log was grown before the relay started")
        #expect(report.phases.allSatisfy { $0.errors == 0 }, "\(report.phases.compactMap(\.firstError))")
        // 10 operations scheduled 20 ms apart take at least 180 ms: the open loop keeps its schedule.
        let accept = try #require(report.phases.first)
        #expect(Double(accept.operations) / accept.operationsPerSecond >= 0.18)

        let (idle, idleReport) = try Self.bench(["--idle-connections", "16"])
        #expect(idle.status == 0, "\(idle.stderr)")
        let held = try #require(idleReport?.idle)
        #expect(held.opened == 16 && held.relayRSSWith != nil)
    }

    @Test func badFlagsAreUsageErrors() throws {
        let run = try ExecutableTests.run("isr-bench", ["--connections", "many"])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("isr-bench: error: "), "\(run.stderr)")
        let zero = try ExecutableTests.run("isr-bench", ["--connections", "0"])
        #expect(zero.status == 1)
        #expect(zero.stderr.contains("--connections must be 1–20000"), "\(zero.stderr)")
        // Each refused before anything starts, in one line that names the flag and what it needs.
        for (arguments, says) in [(["--rate", "0"], "--rate must be a positive number"),
                                  (["--body-bytes", "70000"], "--body-bytes must be 0–61440"),
                                  (["--packets", "0"], "--packets must be 1–2000000"),
                                  (["--policy", "/nonexistent/policy.toml"], "/nonexistent/policy.toml"),
                                  (["--relay", "http://127.0.0.1:1"], "--relay must be https://HOST:PORT"),
                                  (["--relay", "https://127.0.0.1:1"], "--relay needs --home DIR")] {
            let run = try ExecutableTests.run("isr-bench", arguments)
            #expect(run.status == 1, "\(arguments): \(run.stderr)")
            #expect(run.stderr.hasPrefix("isr-bench: error: ") && run.stderr.contains(says) && run.stderr.split(separator: "\n").count == 1,
                    "\(arguments): \(run.stderr)")
        }
    }
}
