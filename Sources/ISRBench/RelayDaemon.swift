import Foundation

/// The real `isr-relay` process on a throw-away deployment: started, waited for, measured, stopped with SIGTERM.
/// Its output goes to files in the deployment directory (no pipes to drain while it is under load).
public final class RelayDaemon: @unchecked Sendable {
    let process: Process
    public let port: Int
    public var pid: Int32 { process.processIdentifier }
    public let logPath: String

    /// Starts `executable --config configPath` and waits (at most 60 s) for its "listening on" line; its output goes to
    /// `name`.out and `name`.err in `directory`.
    public init(executable: String, configPath: String, directory: String, name: String = "relay") throws {
        let outPath = directory + "/\(name).out"
        logPath = directory + "/\(name).err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--config", configPath]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var found: Int?
        while process.isRunning && Date() < deadline && found == nil {
            let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on https://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(text[range].split(separator: ":").last ?? "")
            } else {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw BenchError("isr-relay did not start within 60 s: \(log.suffix(500))")
        }
        port = found
    }

    /// SIGTERM, then at most 30 s for a clean exit (SIGKILL after that). Returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The `isr-relay` built beside this executable.
    public static func besideThisExecutable() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("isr-relay").path
    }
}
