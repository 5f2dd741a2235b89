import Foundation
import ISRPacket
import ISRTestSupport
import Testing

/// Schemathesis (from PyPI, installed by `.ci/run` into /opt/isr-schemathesis) fuzzes the real `isr-relay` from its own
/// OpenAPI document: every operation, `--checks all` (server errors, undeclared statuses, response schemas, valid
/// requests refused, invalid ones accepted, undeclared methods answered 405 with `Allow`), coverage, fuzzing and
/// stateful phases — first as a member, then as the deployment admin, on a deployment with two agencies and a
/// read-back between them. Settings in `Fuzz/schemathesis.toml`; `ISR_FUZZ_SEED` picks another seed.
@Suite(.blocksThreads) struct RelaySchemathesisTests {
    /// The virtual environment's Python, which has schemathesis; `Fuzz/run_schemathesis.py` runs its CLI.
    static let python = ProcessInfo.processInfo.environment["ISR_SCHEMATHESIS_PYTHON"] ?? "/opt/isr-schemathesis/bin/python3"
    static let seed = ProcessInfo.processInfo.environment["ISR_FUZZ_SEED"] ?? "20261122"

    @Test(.timeLimit(.minutes(20))) func theRelayAnswersEveryGeneratedRequestAsItsDocumentSays() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            // CI installs it (.ci/run); a developer's machine without it is told how, and CI never skips.
            #expect(ProcessInfo.processInfo.environment["CI"] == nil,
                    "schemathesis is not installed: python3 -m venv /opt/isr-schemathesis && /opt/isr-schemathesis/bin/pip install schemathesis==4.32.5 (or run .ci/run)")
            return
        }
        let relay = try RelayProcess()
        defer { _ = relay.stop() }
        let cast = try await relay.standardCast()
        _ = try await relay.acknowledgedShare(from: cast.alice, to: cast.bob)
        let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fuzz")
        let certs = relay.directory + "/certs/"
        try cast.bob.certificatePEM.write(toFile: relay.directory + "/bob.pem", atomically: true, encoding: .utf8)
        try cast.bob.tlsKeyPEM.write(toFile: relay.directory + "/bob.key", atomically: true, encoding: .utf8)
        // The member first: the admin's run may suspend agencies and revoke members.
        for (who, certificate, key) in [("member bob@devon-csc", relay.directory + "/bob.pem", relay.directory + "/bob.key"),
                                        ("deployment admin", certs + "admin.pem", certs + "admin.key")] {
            let (status, output) = try await Self.run(fuzz: fuzz, port: relay.port, certificate: certificate, key: key, ca: certs + "ca.pem",
                                                log: relay.directory + "/schemathesis-\(who.split(separator: " ")[0]).txt")
            let counts = output.split(separator: "\n").first { $0.contains(" generated, ") }?.trimmingCharacters(in: .whitespaces) ?? "no summary"
            print("schemathesis as \(who) (seed \(Self.seed)): \(counts)")
            #expect(status == 0, "schemathesis as \(who) found failures or errors:\n\(output.suffix(12_000))")
            #expect(output.contains("passed") && !output.contains("failures") && !output.contains("errored"), "\(output.suffix(4000))")
        }
        #expect(!relay.stderr.contains("Fatal error"), "the relay crashed: \(relay.stderr.suffix(3000))")
        #expect(!relay.stderr.contains("unexpected error"), "the relay answered 500: \(relay.stderr.suffix(3000))")
    }

    /// One schemathesis run, bounded: killed after 10 minutes. Returns its exit status and output. Waits with
    /// `Task.sleep`, never blocking a thread of the (two-thread, here) pool the other suites' relays run on.
    static func run(fuzz: URL, port: Int, certificate: String, key: String, ca: String, log: String) async throws -> (Int32, String) {
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [fuzz.appendingPathComponent("run_schemathesis.py").path, "--config-file", fuzz.appendingPathComponent("schemathesis.toml").path, "run", "https://localhost:\(port)/v1/openapi.yaml",
                             "--request-cert", certificate, "--request-cert-key", key, "--tls-verify", ca,
                             "--checks", "all", "--max-examples", "50", "--workers", "2", "--seed", seed,
                             "--request-timeout", "30",
                             // A server-sent event stream stays open for ten minutes by design (RelayEventsTests covers it).
                             "--exclude-path", "/v1/events", "--no-color"]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "SCHEMATHESIS_TELEMETRY": "false"]
        process.standardInput = FileHandle.nullDevice
        // Schemathesis keeps a cache in its working directory: the relay's temporary one, not the repository.
        process.currentDirectoryURL = URL(fileURLWithPath: log).deletingLastPathComponent()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(600)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
