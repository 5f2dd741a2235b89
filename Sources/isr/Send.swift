import ArgumentParser
import Foundation
import ISRClient
import ISRPacket
import ISRRelayAPI

/// `isr send`: share information with verified recipients, for a purpose and lawful basis, with consent and
/// whether the subject was informed recorded, each item tagged fact, opinion or reported.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Share information with verified recipients for a stated purpose.")

    @Option(help: "Recipients: member ids or role addresses, comma-separated.") var to: String
    @Option(help: "Purpose code (see `isr purposes`).") var purpose: String?
    @Option(help: "The request this share answers.") var replyTo: String?
    @OptionGroup var content: ShareContent
    @Flag(help: "Send without asking to confirm the recipients (they are still verified and shown).") var yes = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let recipients = try memberIDs(to)
        let reply = try replyTo.map { text throws(ClientError) in try packetID(text) }
        // Without a terminal, everything missing is one usage error, before the identity is even unlocked.
        if !GuidedSend.interactive { _ = try content.body(missing: purpose == nil ? ["--purpose (what is the legitimate purpose?)"] : []) }
        let result = try await withSession(global) { session in
            let policy = try await session.policy()
            var purpose = self.purpose
            var content = self.content
            if GuidedSend.interactive { try GuidedSend.fill(purpose: &purpose, content: &content, policy: policy) }
            let (body, consentStatus, urgencyLevel) = try content.body(missing: purpose == nil ? ["--purpose (what is the legitimate purpose?)"] : [])
            let purposeCode = purpose ?? ""
            let anonymous = policy.purposes[purposeCode]?.identifyingAllowed == false
            let draft = Session.Draft(kind: anonymous ? .consultation : .share, to: recipients, purpose: purposeCode, basis: content.basis, consent: consentStatus,
                                      urgency: urgencyLevel, body: body, subjectReference: content.subjectRef, inReplyTo: reply)
            let prepared = try await session.prepare(draft)
            try confirmRecipients(prepared, yes: yes, json: global.json)
            let receipt = try await session.send(prepared)
            return SentResult(id: receipt.id, state: receipt.state, kind: prepared.header.kind.rawValue, leafIndex: receipt.leafIndex, deadline: receipt.deadline)
        }
        Terminal.emit(result, json: global.json, human: "Sent \(result.id): \(result.state); read-back due \(timeText(result.deadline)).")
    }
}

/// Shows the verified recipients and what is about to be sent, then asks (unless `--yes`; never without a terminal).
func confirmRecipients(_ prepared: Session.Prepared, yes: Bool, json: Bool) throws(ClientError) {
            let summary = prepared.recipients.values.flatMap { $0 }.map { "  \($0.id)  \($0.displayName), \($0.role), \($0.agencyName) (\($0.agencyKind)), key \($0.signingKey.fingerprint)" }
            if !json {
                print("Sealed for these verified recipients:\n" + summary.sorted().joined(separator: "\n"))
                print("\(prepared.header.kind.rawValue) for \(prepared.header.purpose): \(prepared.body.items.count) item(s), fields \(prepared.body.fieldNames.isEmpty ? "none" : prepared.body.fieldNames.joined(separator: ", "))")
            }
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else { throw ClientError(.usage, "confirm the recipients with --yes (there is no terminal to ask on)") }
                print("Send? [y/N] ", terminator: "")
                guard readLine()?.lowercased().hasPrefix("y") == true else { throw ClientError(.refused, "not sent") }
            }
}
