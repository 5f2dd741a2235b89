import Foundation

/// Hands one message to the system's `sendmail` interface (msmtp or postfix): the configured command with the recipient
/// appended, the message on standard input. The command must exit 0 within `timeout`.
struct SendmailTransport: Sendable {
    let command: [String]
    let timeout: Duration

    init(command: [String], timeout: Duration = .seconds(30)) {
        self.command = command
        self.timeout = timeout
    }

    /// Sends `message` to `recipient` (already checked to be a plain address), throwing `AlertFailure` on any failure.
    func send(_ message: String, to recipient: String) async throws {
        guard let executable = command.first else { throw AlertFailure("alerts.sendmail is empty") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // -i: a line with a single dot does not end the message.
        process.arguments = Array(command.dropFirst()) + ["-i", recipient]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: AlertFailure("cannot run \(executable): \(error.localizedDescription)"))
                return
            }
            let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000)), execute: watchdog)
            input.fileHandleForWriting.write(Data(message.utf8))
            try? input.fileHandleForWriting.close()
        }
        let stderr = String(decoding: errors.fileHandleForReading.availableData.prefix(300), as: UTF8.self)
        guard status == 0 else {
            let reason = stderr.split(separator: "\n").first.map(String.init) ?? "no message"
            throw AlertFailure("\(executable) exited with status \(status): \(reason)")
        }
    }
}

/// Why one alert attempt failed, in one line for the log (never the alert's text).
struct AlertFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
