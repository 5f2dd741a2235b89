import ArgumentParser
import Foundation
import ISRClient
import ISRPacket

/// `isr`: the practitioners' and admins' command line. Each command is one file; they share `GlobalOptions`.
@main
struct ISR: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isr",
        abstract: "Share safeguarding information with a verified individual, for a stated purpose, with every step recorded.",
        discussion: """
            Exit codes: 0 ok; 1 refused by the policy or the relay, or a local problem (no identity, wrong passphrase);
            2 usage; 3 the relay could not be reached or TLS failed; 4 a signature, key or certificate did not verify.
            """,
        version: "isr \(ISRVersion.software) (packet format v\(ISRVersion.packetFormat))",
        subcommands: [Keygen.self, Enrol.self, Whoami.self, Directory.self, Purposes.self, Send.self, Inbox.self, Read.self, Ack.self, Confirm.self,
                      Clarify.self, Request.self, Decline.self, Decide.self, Correct.self, Outcome.self, Countersign.self, Withdraw.self, Status.self, Notices.self, Audit.self,
                      Record.self, Export.self, VerifyBundle.self, Renew.self, Rekey.self, Device.self, Watch.self, UI.self, Resend.self, Unlock.self, Lock.self, AgentCommand.self, Admin.self, PolicyCommand.self, ConfigCommand.self])

    static func main() async {
        // A pipe to a child that exited (the key agent) must fail that write with EPIPE, not end the command.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ClientError {
            Terminal.error(error.message, hint: error.code == .usage ? "run `isr help` for the commands and their flags" : nil)
            Foundation.exit(error.code.exitCode)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if let explicit = error as? ExitCode { Foundation.exit(explicit.rawValue) }
            // Argument errors: one line saying what is wrong, the usage as the hint, exit 2.
            let lines = message.split(separator: "\n").map(String.init)
            let first = lines.first.map { $0.hasPrefix("Error: ") ? String($0.dropFirst(7)) : $0 } ?? "invalid arguments"
            Terminal.error(first, hint: lines.first { $0.hasPrefix("Usage:") }.map { "u" + $0.dropFirst() } ?? "run `isr help`")
            Foundation.exit(2)
        }
    }
}

/// Flags every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The ISR home holding your identity (default: $ISR_HOME, else ~/.isr).")
    var home: String?

    @Option(name: .long, help: "Read the passphrase from this file (default: $ISR_PASSPHRASE, else ask on the terminal).")
    var passphraseFile: String?

    @Flag(name: .long, help: "Print one JSON object instead of readable text.")
    var json = false

    var isrHome: ISRHome { ISRHome.resolve(home) }
    var passphrase: PassphraseSource { PassphraseSource.resolve(file: passphraseFile) }

    /// An mTLS client for this home's identity (unlocks it).
    func client() throws(ClientError) -> (RelayClient, PractitionerKeysBox) {
        Terminal.warnIfCertificateExpiring(isrHome)
        let keys = try isrHome.unlock(passphrase)
        return (try RelayClient(home: isrHome, keys: keys), PractitionerKeysBox(keys: keys))
    }
}

import ISRCrypto

/// Unlocked keys, kept for the length of one command.
struct PractitionerKeysBox {
    let keys: PractitionerKeys
}
