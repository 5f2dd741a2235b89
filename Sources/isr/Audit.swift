import ArgumentParser
import ISRClient

/// `isr audit verify`: check the relay's tamper-evident record from the outside.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the relay's audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the signed checkpoint, every leaf, and consistency with the newest checkpoint this home has seen (exit 4 on any failure).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let report = try await withSession(global) { try await AuditVerification.run($0) }
            Terminal.emit(report, json: global.json, human: """
                Audit log verified: \(report.size) leaves hash to the root the relay signed (relay key \(report.relayKeyFingerprint)).
                \(report.previousSize.map { "Consistent with the checkpoint of size \($0) this home saw before." } ?? "First verification from this home: the relay key is now pinned.")
                """)
        }
    }
}
