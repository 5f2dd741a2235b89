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
    private let state = Mutex<(process: Process?, port: Int, stderr: String, errorPipe: Pipe?)>((nil, 0, "", nil))

    var port: Int { state.withLock { $0.port } }
    var stderr: String { state.withLock { $0.stderr } }

    /// Creates the deployment (by starting the relay once) and leaves the relay running.
    init() throws {
        directory = NSTemporaryDirectory() + "isr-process-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try String(contentsOf: RelayHarness.repository.appendingPathComponent("config/policy.toml"), encoding: .utf8)
            .write(toFile: directory + "/policy.toml", atomically: true, encoding: .utf8)
        try RelayHarness.configText(port: 0).write(toFile: directory + "/relay.toml", atomically: true, encoding: .utf8)
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
        let process = Process()
        process.executableURL = try Self.executable
        process.arguments = ["--config", directory + "/relay.toml"]
        process.environment = ["ISR_LOG_LEVEL": "debug", "PATH": "/usr/bin:/bin"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        state.withLock { $0 = (process, 0, "", err) }
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            if let range = text.range(of: #"listening on https://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
               let port = Int(text[range].split(separator: ":").last ?? "") {
                self?.state.withLock { $0.port = port }
            }
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.state.withLock { $0.stderr += text }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while port == 0 && process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        guard port != 0 else {
            process.terminate()
            throw RelayProcessError(message: "isr-relay did not start: \(stderr)")
        }
    }

    /// Sends `signal` and waits (at most 30 s) for the process to end; returns its exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        guard let process = state.withLock({ $0.process }) else { return -1 }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        // Drain what the process wrote last (the reader may not have been called for it yet).
        if let handle = state.withLock({ $0.errorPipe?.fileHandleForReading }) {
            handle.readabilityHandler = nil
            let rest = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
            state.withLock { $0.stderr += rest }
        }
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
