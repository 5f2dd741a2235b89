import ArgumentParser
import Foundation
import ISRClient
import ISRPKI
import ISRLifecycle
import ISRPacket
import ISRRelayAPI

/// `isr send`: share information with verified recipients, for a purpose and lawful basis, with consent and
/// whether the subject was informed recorded, each item tagged fact, opinion or reported.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Share information with verified recipients for a stated purpose.")

    @Option(help: "Recipients: member ids or role addresses, comma-separated.") var to: String?
    @Option(help: "A SHARE.toml with the same content as the flags (flags given as well take precedence).") var file: String?
    @Option(help: "Purpose code (see `isr purposes`).") var purpose: String?
    @Option(help: "The request this share answers.") var replyTo: String?
    @OptionGroup var content: ShareContent
    @Flag(help: "A child is in immediate danger: release a purpose that needs a countersignature at once (it is then due afterwards).") var emergency = false
    @Option(help: "With --emergency: why it cannot wait for a countersignature. Seen by the relay and your agency's dsl/managers: do not name the child.") var emergencyReason: String?
    @Flag(help: "Send without asking to confirm the recipients (they are still verified and shown).") var yes = false
    @Flag(help: "Go on from the answers of an interrupted guided send (kept in your home, sealed to you); flags given take precedence.") var resume = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var send = self
        if let file { try send.merge(ShareFile.load(file)) }
        try await send.deliver()
    }

    /// What the answers so far say, as a share file: what a draft keeps.
    func shareFile() -> ShareFile {
        var fields: [String: String] = [:]
        for field in content.fields {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        var file = ShareFile()
        (file.to, file.purpose, file.replyTo) = (to.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }, purpose, replyTo)
        (file.basis, file.condition, file.consent, file.consentReason) = (content.basis, content.condition, content.consent, content.consentReason)
        (file.informed, file.informedReason, file.statement) = (content.informed, content.informedReason, content.statement)
        (file.facts, file.opinions, file.reported, file.source, file.date) = (content.facts, content.opinions, content.reported, content.source, content.date)
        (file.fields, file.subjectRef, file.urgency, file.ask) = (fields, content.subjectRef, content.urgency, content.ask)
        return file
    }

    /// Fills whatever the flags left unset from a share file.
    mutating func merge(_ share: ShareFile) {
        to = to ?? share.to?.joined(separator: ",")
        purpose = purpose ?? share.purpose
        replyTo = replyTo ?? share.replyTo
        content.basis = content.basis ?? share.basis
        content.condition = content.condition ?? share.condition
        content.consent = content.consent ?? share.consent
        content.consentReason = content.consentReason ?? share.consentReason
        content.informed = content.informed ?? share.informed
        content.informedReason = content.informedReason ?? share.informedReason
        content.statement = content.statement ?? share.statement
        if content.facts.isEmpty { content.facts = share.facts ?? [] }
        if content.opinions.isEmpty { content.opinions = share.opinions ?? [] }
        if content.reported.isEmpty { content.reported = share.reported ?? [] }
        content.source = content.source ?? share.source
        content.date = content.date ?? share.date
        if content.fields.isEmpty { content.fields = (share.fields ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } }
        content.subjectRef = content.subjectRef ?? share.subjectRef
        if content.urgency == "routine", let urgency = share.urgency { content.urgency = urgency }
        content.ask = content.ask ?? share.ask
    }

    func deliver() async throws {
        guard to != nil || GuidedSend.interactive || resume else { throw ClientError(.usage, "name the recipients with --to (or `to` in the share file)") }
        guard emergency == (emergencyReason != nil) else {
            throw ClientError(.usage, "--emergency and --emergency-reason go together: say why the share cannot wait for a countersignature")
        }
        // Without a terminal, everything missing is one usage error, before the identity is even unlocked.
        // (Whether consent may be left out depends on the purpose, known from the policy once connected.)
        if !GuidedSend.interactive, !resume {
            _ = try content.body(missing: purpose == nil ? ["--purpose (what is the legitimate purpose?)"] : [], consentOptional: purpose != nil)
        }
        let result = try await withSession(global) { session in
            let drafts = SendDraft(home: session.home)
            var send = self
            if resume {
                guard let (draft, savedAt) = try drafts.load(keys: session.keys) else { throw ClientError(.usage, "there is no draft to resume; start with `isr send`") }
                send.merge(draft)
                FileHandle.standardError.write(Data("Resuming the draft saved \(timeText(savedAt)).\n".utf8))
            } else if drafts.exists, GuidedSend.interactive {
                print("A draft from an interrupted send exists; this send replaces it (Ctrl-C now, then `isr send --resume`, to go on with it instead).")
            }
            return try await send.deliver(session, drafts: drafts)
        }
        let human = result.state == PacketPhase.held.rawValue
            ? "Sent \(result.id): held until a dsl or manager of your agency reads and countersigns it; the read-back deadline starts when they do."
            : "Sent \(result.id): \(result.state)\(emergency ? " (emergency release: a countersignature is due afterwards)" : ""); read-back due \(timeText(result.deadline))."
        Terminal.emit(result, json: global.json, human: human)
    }

    /// Asks for what is missing (keeping every answer in the draft as it is given), then seals, confirms and sends; the
    /// draft goes once the relay has accepted the share.
    func deliver(_ session: Session, drafts: SendDraft) async throws -> SentResult {
        let reply = try replyTo.map { text throws(ClientError) in try packetID(text) }
        let policy = try await session.policy()
        var send = self
        if GuidedSend.interactive {
            var (purpose, content) = (send.purpose, send.content)
            let asked = send
            try GuidedSend.fill(purpose: &purpose, content: &content, policy: policy) { purpose, content throws(ClientError) in
                var answered = asked
                (answered.purpose, answered.content) = (purpose, content)
                try drafts.save(answered.shareFile(), keys: session.keys)
            }
            (send.purpose, send.content) = (purpose, content)
        }
        let recipients: [MemberID]
        if let to = send.to {
            recipients = try memberIDs(to)
        } else {
            recipients = try GuidedSend.recipients(try await VerifiedDirectory.load(session.client, trust: session.trust))
            send.to = recipients.map(\.rawValue).joined(separator: ",")
            if GuidedSend.interactive { try drafts.save(send.shareFile(), keys: session.keys) }
        }
        let purposeCode = send.purpose ?? ""
        let anonymous = policy.purposes[purposeCode]?.identifyingAllowed == false
        let (body, consentStatus, urgencyLevel) = try send.content.body(missing: send.purpose == nil ? ["--purpose (what is the legitimate purpose?)"] : [],
                                                                        consentOptional: anonymous)
        // The guidance is shown at the moment of decision (the guided questions showed it already).
        if let chosen = policy.purposes[purposeCode], !global.json, !GuidedSend.interactive { print("\(chosen.title): \(chosen.guidance)") }
        let draft = Session.Draft(kind: anonymous ? .consultation : .share, to: recipients, purpose: purposeCode, basis: send.content.basis,
                                  condition: send.content.condition, consent: consentStatus,
                                  urgency: urgencyLevel, body: body, subjectReference: send.content.subjectRef, inReplyTo: reply)
        let prepared = try await session.prepare(draft)
        try confirmRecipients(prepared, yes: yes, json: global.json)
        let receipt = try await session.send(prepared, emergencyReason: emergencyReason)
        drafts.discard()
        return SentResult(id: receipt.id, state: receipt.state, kind: prepared.header.kind.rawValue, leafIndex: receipt.leafIndex, deadline: receipt.deadline)
    }
}

/// Shows the verified recipients and what is about to be sent, then asks (unless `--yes`; never without a terminal).
func confirmRecipients(_ prepared: Session.Prepared, yes: Bool, json: Bool) throws(ClientError) {
            let summary = prepared.recipients.values.flatMap { $0 }.map { "  \($0.id)  \($0.displayName), \($0.role), \($0.agencyName) (\($0.agencyKind)), fingerprint \(MemberFingerprint(member: $0.id, signingKey: $0.signingKey, encryptionKey: $0.encryptionKey))" }
            if !json {
                print("Sealed for these verified recipients:\n" + summary.sorted().joined(separator: "\n"))
                if !prepared.countersigners.isEmpty {
                    print("and, to read and countersign it before release, your agency's: " + prepared.countersigners.map { "\($0.id) (\($0.displayName), \($0.role))" }.joined(separator: ", "))
                }
                print("\(prepared.header.kind.rawValue) for \(prepared.header.purpose): \(prepared.body.items.count) item(s), fields \(prepared.body.fieldNames.isEmpty ? "none" : prepared.body.fieldNames.joined(separator: ", "))")
            }
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else { throw ClientError(.usage, "confirm the recipients with --yes (there is no terminal to ask on)") }
                print("Send? [y/N] ", terminator: "")
                guard readLine()?.lowercased().hasPrefix("y") == true else { throw ClientError(.refused, "not sent") }
            }
}
