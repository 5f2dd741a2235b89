import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto

/// `isr unlock [--for 8h]`: type the passphrase once; an agent keeps this home's keys unlocked for the period.
struct Unlock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unlock your keys once for a working session (default 8h, at most 24h); `isr lock` ends it early.",
        discussion: """
            A background agent holds the keys in locked memory and gives them only to your own `isr` commands, over a socket in
            your ISR home. It ends after the period, on `isr lock`, or when the home's identity file changes.
            """)
    @Option(name: .customLong("for"), help: "How long: e.g. 8h or 90m (1m to 24h).") var period = "8h"
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        let home: String
        let until: String
    }

    func run() async throws {
        let seconds = try Self.seconds(period)
        let home = global.isrHome
        guard KeyAgent.keys(for: home) == nil else { throw ClientError(.local, "\(home.path) is already unlocked; `isr lock` ends it") }
        let keys = try home.unlockWithPassphrase(global.passphrase)
        // The agent is this program again, detached; it gets the keys through a pipe and says when it listens.
        let agent = Process()
        guard let executable = Bundle.main.executablePath else { throw ClientError(.local, "cannot find the isr executable to start the agent") }
        agent.executableURL = URL(fileURLWithPath: executable)
        agent.arguments = ["agent", "--home", home.path, "--seconds", String(seconds)]
        let input = Pipe(), output = Pipe()
        agent.standardInput = input
        agent.standardOutput = output
        agent.standardError = FileHandle.nullDevice
        do { try agent.run() } catch { throw ClientError(.local, "cannot start the agent: \(error.localizedDescription)") }
        // An agent that failed to start closes the pipe (EPIPE); the line it did not print says so below.
        keys.secretBytes().withUnsafeBytes { _ = try? input.fileHandleForWriting.write(contentsOf: Data($0)) }
        try? input.fileHandleForWriting.close()
        let line = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard line.hasPrefix("ready") else { throw ClientError(.local, "the agent did not start: \(line.trimmingCharacters(in: .whitespacesAndNewlines))") }
        let until = ISO8601DateFormatter().string(from: Date().addingTimeInterval(TimeInterval(seconds)))
        Terminal.emit(Result(home: home.path, until: until), json: global.json, human: "Unlocked \(home.path) until \(until); `isr lock` ends it sooner.")
    }

    static func seconds(_ text: String) throws(ClientError) -> Int {
        try periodSeconds(text, flag: "--for", units: ["h": 3600, "m": 60], kinds: "hours or minutes", example: "8h or 90m",
                          range: 60...KeyAgent.maximumSeconds, bounds: "1m to 24h")
    }
}

/// `isr lock`: end the unlock agent now.
struct Lock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Lock your keys again: ends the agent `isr unlock` started.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let home = global.isrHome
        let stopped = KeyAgent.stop(home)
        let deadline = Date().addingTimeInterval(5)
        while stopped, FileManager.default.fileExists(atPath: KeyAgent.socketPath(home)), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        Terminal.emit(["locked": stopped], json: global.json, human: stopped ? "Locked \(home.path): commands ask for the passphrase again." : "No agent was running for \(home.path).")
    }
}

/// The agent process `isr unlock` starts (not for direct use): reads the secret keys from stdin, detaches, serves.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent", abstract: "The unlock agent (started by `isr unlock`).", shouldDisplay: false)
    @Option var home: String
    @Option var seconds: Int

    func run() throws {
        guard (60...KeyAgent.maximumSeconds).contains(seconds) else { throw ClientError(.usage, "--seconds is 60–86400") }
        let identity = try IdentityFile.load(from: ISRHome(path: home).identityPath)
        let data = FileHandle.standardInput.readDataToEndOfFile()
        var bytes = [UInt8](data.prefix(identity.secretByteCount))
        let keys = try PractitionerKeys(secretBytes: SecretBytes(consuming: &bytes), previousCount: identity.previousEncryptionPublicKeys.count)
        _ = keys.lockInMemory()
        setsid()
        let home = ISRHome(path: home)
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        try KeyAgent.serve(keys, home: home, until: deadline) {
            // Tell `isr unlock` the socket listens, then let go of its pipe.
            FileHandle.standardOutput.write(Data("ready\n".utf8))
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, 1) }
        }
    }
}
