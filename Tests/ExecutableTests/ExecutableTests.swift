import Foundation
import ISRTestSupport
import Testing

/// The executables as a person or a script meets them: real processes, exit codes and stderr.
@Suite(.blocksThreads) struct ExecutableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The built products sit beside the test bundle.
    static func executable(_ product: String) throws -> URL {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [products, products.deletingLastPathComponent()].map { $0.appendingPathComponent(product) }
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }, "\(product) is built")
    }

    static func run(_ product: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = try executable(product)
        process.arguments = arguments
        // Only what the test sets (plus PATH): no stray ISR_HOME or ISR_PASSPHRASE from the developer's shell.
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        process.standardInput = FileHandle.nullDevice
        process.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Bounded: a process that has not finished in 60 s is killed and the test fails, rather than hanging CI.
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            Issue.record("\(product) \(arguments.joined(separator: " ")) did not finish within 60 s")
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func versionsNameThePacketFormat() throws {
        #expect(try Self.run("isr", ["--version"]).stdout == "isr 0.1.0 (packet format v2)\n")
        #expect(try Self.run("isr-relay", ["--version"]).stdout == "isr-relay 0.1.0 (packet format v2)\n")
    }

    @Test func policyCheckAcceptsTheShippedPolicy() throws {
        let result = try Self.run("isr", ["policy", "check"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("config/policy.toml: valid policy with 8 purposes, 8 lawful bases, 6 special-category conditions"))
        #expect(result.stdout.contains("child-protection-enquiry: read-back due: within 4 hours, countersign"))
        #expect(result.stdout.contains("domestic-abuse-notification: read-back due: by 08:30 on the next working day"))
    }

    @Test func policyCheckRefusesABrokenPolicyInOneLine() throws {
        let path = NSTemporaryDirectory() + "isr-bad-\(UUID().uuidString).toml"
        try "version = 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Self.run("isr", ["policy", "check", path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("isr: error: \(path): `urgency` is missing\nisr: hint: "), "\(result.stderr)")
        let missing = try Self.run("isr", ["policy", "check", "/nonexistent/policy.toml"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read the policy file"))
    }

    @Test func unknownCommandsAreUsageErrors() throws {
        let result = try Self.run("isr", ["frobnicate"])
        #expect(result.status == 2)
        #expect(result.stderr == "isr: error: Unexpected argument 'frobnicate'\nisr: hint: usage: isr <subcommand>\n", "\(result.stderr)")
        let relay = try Self.run("isr-relay", ["--frobnicate"])
        #expect(relay.status == 2)
        #expect(relay.stderr == "isr-relay: error: unknown argument `--frobnicate`; run `isr-relay --help`\n")
        let missing = try Self.run("isr-relay", ["--config"])
        #expect(missing.status == 2)
        let unreadable = try Self.run("isr-relay", ["--config", "/nonexistent/relay.toml"])
        #expect(unreadable.status == 1)
        #expect(unreadable.stderr == "isr-relay: error: cannot read /nonexistent/relay.toml; pass --config FILE (default config/relay.toml)\n")
    }
}
