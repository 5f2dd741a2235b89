import ArgumentParser
import Foundation
import ISRRelayAPI

/// `--wait` and `--timeout` for the commands that wait for an admin's approval (`enrol --code`, `device add`, `rekey`).
struct ApprovalWait: ParsableArguments {
    @Flag(help: "Wait for an admin's approval (polling every 2 seconds) instead of returning at once.") var wait = false
    @Option(help: "With --wait: give up after this many seconds (1–3600).") var timeout = 600

    func validate() throws {
        guard (1...3600).contains(timeout) else { throw ValidationError("--timeout is 1–3600 seconds") }
    }

    /// With --wait, asks `again` every 2 seconds until the request is approved or the timeout passes; else `first`.
    func poll(_ first: EnrolmentProgress, again: () async throws -> EnrolmentProgress) async throws -> EnrolmentProgress {
        guard wait, first.enrolment == nil else { return first }
        Terminal.note("waiting for an admin's approval; when they call, read them your fingerprint: \(first.fingerprint)")
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        var progress = first
        while progress.enrolment == nil, Date() < deadline {
            try await Task.sleep(for: .seconds(2))
            progress = try await again()
        }
        return progress
    }
}
