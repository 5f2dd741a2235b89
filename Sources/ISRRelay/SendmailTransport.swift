import Foundation
import Synchronization

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
        // Its error output goes to a file, read once it has exited: a pipe would also be held open by any child it left
        // running, and reading it would wait for that child.
        let input = Pipe()
        let errorsPath = NSTemporaryDirectory() + "isr-sendmail-\(UUID().uuidString).err"
        guard FileManager.default.createFile(atPath: errorsPath, contents: nil, attributes: [.posixPermissions: 0o600]),
              let errors = FileHandle(forWritingAtPath: errorsPath) else { throw AlertFailure("cannot create a file for \(executable)'s error output") }
        defer {
            try? errors.close()
            try? FileManager.default.removeItem(atPath: errorsPath)
        }
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        // A shutdown (task cancellation) or the timeout stops a slow command and answers at once, without waiting for
        // the exit to be reaped. Whichever comes first of exit, timeout and cancellation resumes the continuation.
        let waiting = Mutex<(pid: Int32?, continuation: CheckedContinuation<Int32, any Error>?)>((nil, nil))
        @Sendable func stop(_ error: any Error) {
            let (pid, continuation) = waiting.withLock { state in
                defer { state = (nil, nil) }
                return (state.pid, state.continuation)
            }
            if let pid { kill(pid, SIGTERM) }
            continuation?.resume(throwing: error)
        }
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiting.withLock { $0.continuation = continuation }
                process.terminationHandler = { ended in
                    let continuation = waiting.withLock { state in
                        defer { state = (nil, nil) }
                        return state.continuation
                    }
                    continuation?.resume(returning: ended.terminationStatus)
                }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    stop(AlertFailure("cannot run \(executable): \(error.localizedDescription)"))
                    return
                }
                let pid = process.processIdentifier
                waiting.withLock { if $0.continuation != nil { $0.pid = pid } }
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000))) {
                    if waiting.withLock({ $0.pid }) == pid { stop(AlertFailure("\(executable) did not finish within \(timeout)")) }
                }
                // A command that exits without reading it all closes the pipe (EPIPE): its exit status says why.
                try? input.fileHandleForWriting.write(contentsOf: Data(message.utf8))
                try? input.fileHandleForWriting.close()
            }
        } onCancel: {
            stop(CancellationError())
        }
        let stderr = String(decoding: (FileManager.default.contents(atPath: errorsPath) ?? Data()).prefix(300), as: UTF8.self)
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
