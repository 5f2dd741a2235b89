import ArgumentParser
import Foundation
import ISRClient
import ISRPacket

/// What a share or correction says: consent, whether the subject was informed, the statement, the tagged items
/// and the subject fields. Shared by `isr send` and `isr correct`.
struct ShareContent: ParsableArguments {
    @Option(help: "Lawful basis code (UK GDPR Art. 6).") var basis: String?
    @Option(help: "Condition for special-category data (UK GDPR Art. 9 / DPA 2018 Sch. 1), for purposes that may carry it.") var condition: String?
    @Option(help: "given, refused or not-sought.") var consent: String?
    @Option(help: "Who gave or refused consent, or why sharing goes ahead without it.") var consentReason: String?
    @Option(help: "Has the child or family been told? yes or no.") var informed: String?
    @Option(help: "Why not (e.g. it would increase the risk of harm).") var informedReason: String?
    @Option(help: "Why this recipient needs this information.") var statement: String?
    @Option(name: .customLong("fact"), help: "Something observed or verified (repeatable).") var facts: [String] = []
    @Option(name: .customLong("opinion"), help: "A professional judgement (repeatable).") var opinions: [String] = []
    @Option(name: .customLong("reported"), help: "Something someone else reported (repeatable).") var reported: [String] = []
    @Option(help: "Who saw, judged or reported the items.") var source: String?
    @Option(help: "The date the items refer to, YYYY-MM-DD (default today).") var date: String?
    @Option(name: .customLong("field"), help: "A subject field NAME=VALUE (repeatable).") var fields: [String] = []
    @Option(help: "An opaque case reference (never a name).") var subjectRef: String?
    @Option(help: "routine, priority or urgent.") var urgency = "routine"
    @Option(help: "What you ask the recipient to do.") var ask: String?

    /// The answers these flags give.
    func answers() throws(ClientError) -> ShareAnswers {
        var answers = ShareAnswers()
        (answers.basis, answers.condition, answers.consent, answers.consentReason) = (basis, condition, consent, consentReason)
        (answers.informed, answers.informedReason, answers.statement) = (informed, informedReason, statement)
        (answers.facts, answers.opinions, answers.reported, answers.source, answers.date) = (facts, opinions, reported, source, date)
        (answers.subjectRef, answers.urgency, answers.ask) = (subjectRef, urgency, ask)
        for field in fields {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ClientError(.usage, "--field is NAME=VALUE, e.g. --field date_of_birth=2015-03-12") }
            answers.fields.append(SubjectField(name: parts[0], value: parts[1]))
        }
        return answers
    }

    /// The body, consent and urgency; everything missing (including `alsoMissing`) is listed in one usage error.
    /// `consentOptional`: an anonymous consultation identifies no one, so it records no consent position.
    func body(missing alsoMissing: [String], consentOptional: Bool = false) throws(ClientError) -> (PacketBody, ConsentStatus, Urgency) {
        let answers = try answers()
        let flags: [ShareAnswers.Question: String] = [
            .consent: "--consent given|refused|not-sought (is there consent, or a reason to share without it?)",
            .consentReason: "--consent-reason (consent was \(consent ?? ""): why is it right to share without it?)",
            .statement: "--statement (why does this recipient need it?)",
            .items: "--fact/--opinion/--reported (what is shared, and is it fact or opinion?)",
            .source: "--source (who saw, judged or reported it?)",
        ]
        let missing = alsoMissing + answers.missing(consentOptional: consentOptional).compactMap { flags[$0] }
        guard missing.isEmpty else { throw ClientError(.usage, "missing: " + missing.joined(separator: "; ")) }
        return try answers.body(consentOptional: consentOptional)
    }
}
