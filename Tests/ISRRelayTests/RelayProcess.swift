import Foundation
import ISRCrypto
import ISRPacket
import ISRRelayAPI
import ISRPolicy
import ISRRelay
import Synchronization
import Testing

/// The real `isr-relay` executable as a child process on a temporary deployment: started, stopped with
/// SIGTERM, or killed with SIGKILL, and restarted on the same files.
final class RelayProcess: RelayEndpoint, Sendable {
    let directory: String
    let policy: Policy
    /// Set after the first start created the deployment's admin files.
    private let adminBox = Mutex<Person?>(nil)
    var admin: Person { adminBox.withLock { $0! } }
    /// The running process, its port, and how many times it was started (each run logs to its own files).
    private let state = Mutex<(process: Process?, port: Int, runs: Int)>((nil, 0, 0))

    var port: Int { state.withLock { $0.port } }
    /// Everything the daemon wrote to stderr, over all its runs. Output goes to files, not pipes: no dispatch sources
    /// outlive a process (Foundation's pipe handlers on Linux can crash the test runner when they do).
    var stderr: String {
        let runs = state.withLock { $0.runs }
        return (0..<runs).map { (try? String(contentsOfFile: "\(directory)/relay-\($0).err", encoding: .utf8)) ?? "" }.joined()
    }

    /// Creates the deployment (by starting the relay once) and leaves the relay running; `extraConfig` is appended to
    /// its relay.toml (e.g. an `[alerts]` table).
    init(extraConfig: String = "") throws {
        directory = NSTemporaryDirectory() + "isr-process-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try String(contentsOf: RelayHarness.repository.appendingPathComponent("config/policy.toml"), encoding: .utf8)
            .write(toFile: directory + "/policy.toml", atomically: true, encoding: .utf8)
        try (RelayHarness.configText(port: 0) + "\n" + extraConfig).write(toFile: directory + "/relay.toml", atomically: true, encoding: .utf8)
        policy = try Policy.load(from: directory + "/policy.toml")
        try start()
        let person = try adminPerson
        adminBox.withLock { $0 = person }
    }

    /// The admin as the deployment created them (TLS files exist only after the first start).
    var adminPerson: Person {
        get throws {
            let certs = directory + "/certs/"
            let passphrase = try String(contentsOfFile: certs + "admin-passphrase.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return Person(id: try MemberID(DevelopmentDeployment.adminID), keys: try IdentityFile.load(from: certs + "admin-identity.json").unlock(passphrase: SecretBytes(utf8: passphrase)),
                          tlsKeyPEM: try String(contentsOfFile: certs + "admin.key", encoding: .utf8),
                          certificatePEM: try String(contentsOfFile: certs + "admin.pem", encoding: .utf8))
        }
    }

    static var executable: URL {
        get throws {
            let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            let candidates = [products, products.deletingLastPathComponent()].map { $0.appendingPathComponent("isr-relay") }
            return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }, "isr-relay is built")
        }
    }

    /// Starts the daemon and waits (at most 60 s) for its "listening on" line.
    func start() throws {
        let run = state.withLock { $0.runs }
        let outPath = "\(directory)/relay-\(run).out", errPath = "\(directory)/relay-\(run).err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = try Self.executable
        process.arguments = ["--config", directory + "/relay.toml"]
        process.environment = ["ISR_LOG_LEVEL": "debug", "PATH": "/usr/bin:/bin"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        state.withLock { $0 = (process, 0, run + 1) }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on https://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
               let port = Int(text[range].split(separator: ":").last ?? "") {
                state.withLock { $0.port = port }
                return
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.terminate()
        throw RelayProcessError(message: "isr-relay did not start: \(stderr)")
    }

    /// Sends `signal` and waits (at most 30 s) for the process to end; returns its exit status.
    @discardableResult
    /// Sends `signal` to the running relay without waiting for it to stop (e.g. SIGHUP to reload its certificate).
    func signal(_ signal: Int32) {
        if let process = state.withLock({ $0.process }), process.isRunning { kill(process.processIdentifier, signal) }
    }

    func stop(signal: Int32 = SIGTERM) -> Int32 {
        guard let process = state.withLock({ $0.process }) else { return -1 }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        state.withLock { $0.port = 0 }
        return process.terminationStatus
    }

    deinit {
        if let process = state.withLock({ $0.process }), process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct RelayProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension RelayProcess {
    /// curl, an independent client, GETs `path` as the deployment's admin; returns its exit status and output.
    func curl(_ path: String) throws -> (Int32, String) {
        let certs = directory + "/certs/"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sS", "--max-time", "20", "--cacert", certs + "ca.pem", "--cert", certs + "admin.pem", "--key", certs + "admin.key",
                             "https://localhost:\(port)\(path)"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
