import Foundation
import ISRClient
import ISRPacket
import ISRPKI
import ISRPolicy

/// On a terminal, `isr send` asks for what is missing in the order the guidance asks its questions: is there a
/// legitimate purpose and lawful basis; is there consent, or a reason to share without it; what identifies the
/// child; is the subject informed, or why not; why does the recipient need it; is each item fact or opinion.
enum GuidedSend {
    static var interactive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    /// Fills `purpose` and `content` from answers; at most three tries per question, then a usage error. `keep` runs after
    /// every answer (the draft `isr send --resume` goes on from).
    static func fill(purpose: inout String?, content: inout ShareContent, policy: Policy,
                     keep: (String?, ShareContent) throws(ClientError) -> Void) throws(ClientError) {
        if purpose == nil {
            print("What is the legitimate purpose for sharing?")
            for code in policy.purposeCodes { print("  \(code) — \(policy.purposes[code]?.title ?? "")") }
            purpose = try ask("purpose: ") { policy.purposes[$0] != nil }
            try keep(purpose, content)
        }
        guard let chosen = purpose.flatMap({ policy.purposes[$0] }) else { return }
        // The guidance comes first, while the decision is being made.
        print("\(chosen.title): \(chosen.guidance)")
        if content.basis == nil, chosen.identifyingAllowed {
            print("Which lawful basis? For \(chosen.code): \(chosen.lawfulBases.joined(separator: ", "))")
            content.basis = try ask("lawful basis: ") { chosen.lawfulBases.contains($0) }
            try keep(purpose, content)
        }
        if content.condition == nil, chosen.identifyingAllowed, chosen.specialCategory {
            print("It may carry special-category data (health, disability…). Which condition? For \(chosen.code): \(chosen.conditions.joined(separator: ", "))")
            content.condition = try ask("condition: ") { chosen.conditions.contains($0) }
            try keep(purpose, content)
        }
        if content.consent == nil, chosen.identifyingAllowed {
            content.consent = try ask("Is there consent? given / refused / not-sought: ") { ["given", "refused", "not-sought"].contains($0) }
            try keep(purpose, content)
        }
        if content.consent == "given", content.consentReason == nil {
            content.consentReason = try ask("Who gave consent, and when? ") { !$0.isEmpty }
            try keep(purpose, content)
        }
        if content.consent != nil, content.consent != "given", content.consentReason == nil {
            content.consentReason = try ask("Why is it right to share without consent (e.g. risk of significant harm)? ") { !$0.isEmpty }
            try keep(purpose, content)
        }
        let given = Set(content.fields.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        for field in chosen.requiredFields where !given.contains(field) {
            let label = policy.fields[field]?.label ?? field
            // Each answer is checked as it is typed (a date of birth of `yes` is asked for again) and never lost.
            let value = try ask("\(label) (\(field), required for \(chosen.code)): ", problem: { FieldFormat.problem(field: field, value: $0) })
            content.fields.append("\(field)=\(value)")
            try keep(purpose, content)
        }
        if chosen.identifyingAllowed, content.informed == nil {
            content.informed = try ask("Has the child or family been told this is being shared? yes / no: ") { ["yes", "no"].contains($0) }
            try keep(purpose, content)
        }
        if content.informed == "no", content.informedReason == nil {
            content.informedReason = try ask("Why not (e.g. it would increase the risk of harm)? ") { !$0.isEmpty }
            try keep(purpose, content)
        }
        if content.statement == nil {
            content.statement = try ask("Why does the recipient need this? Share only what the purpose needs: ") { !$0.isEmpty }
            try keep(purpose, content)
        }
        if content.facts.isEmpty && content.opinions.isEmpty && content.reported.isEmpty {
            print("What are you sharing? One item per line, each marked fact:, opinion: or reported: (an empty line ends).")
            for _ in 0..<50 {
                guard let line = readLine()?.trimmingCharacters(in: .whitespaces), !line.isEmpty else { break }
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                var tag = parts.count == 2 && !parts[1].isEmpty ? parts[0].lowercased() : ""
                var text = parts.count == 2 && !parts[1].isEmpty ? parts[1] : line
                if !["fact", "opinion", "reported"].contains(tag) {
                    // An untagged item is asked about, not refused: fact and opinion must never blur.
                    (tag, text) = (try ask("Is \u{201C}\(line)\u{201D} a fact, an opinion, or reported? fact / opinion / reported: ") {
                        ["fact", "opinion", "reported"].contains($0.lowercased())
                    }.lowercased(), line)
                }
                switch tag {
                case "fact": content.facts.append(text)
                case "opinion": content.opinions.append(text)
                default: content.reported.append(text)
                }
                try keep(purpose, content)
            }
        }
        if content.source == nil, !(content.facts.isEmpty && content.opinions.isEmpty && content.reported.isEmpty) {
            content.source = try ask("Who saw, judged or reported these? ") { !$0.isEmpty }
            try keep(purpose, content)
        }
    }

    /// The recipients, when `--to` was not given: ids typed, or a search of the verified directory to choose from.
    static func recipients(_ directory: VerifiedDirectory) throws(ClientError) -> [MemberID] {
        print("Who should receive it? Type member ids or role addresses (comma-separated), or part of a name, agency or role to search.")
        for _ in 0..<5 {
            print("recipients: ", terminator: "")
            guard let answer = readLine()?.trimmingCharacters(in: .whitespaces) else { break }
            let ids = answer.split(separator: ",").compactMap { try? MemberID($0.trimmingCharacters(in: .whitespaces)) }
            if !ids.isEmpty, ids.count == answer.split(separator: ",").count { return ids }
            let needle = answer.lowercased()
            let matches = directory.members.values.filter { member in
                [member.id.rawValue, member.displayName, member.agencyName, member.agencyKind, member.role].contains { $0.lowercased().contains(needle) }
            }.sorted { $0.id < $1.id }
            if matches.isEmpty { print("  no verified member matches `\(answer)`"); continue }
            for member in matches.prefix(20) {
                print("  \(member.id)  \(member.displayName), \(member.role), \(member.agencyName) (\(member.agencyKind)), fingerprint \(MemberFingerprint(member: member.id, signingKey: member.signingKey, encryptionKey: member.encryptionKey))")
            }
        }
        throw ClientError(.usage, "no recipients chosen; give them with --to")
    }

    private static func ask(_ prompt: String, valid: (String) -> Bool) throws(ClientError) -> String {
        try ask(prompt, problem: { valid($0) ? nil : "that is not one of the choices" })
    }

    /// Asks up to three times; `problem` says what is wrong with an answer (nil: accepted), shown before asking again.
    private static func ask(_ prompt: String, problem: (String) -> String?) throws(ClientError) -> String {
        for _ in 0..<3 {
            print(prompt, terminator: "")
            guard let answer = readLine()?.trimmingCharacters(in: .whitespaces) else { break }
            guard let wrong = problem(answer) else { return answer }
            print("  \(wrong)")
        }
        throw ClientError(.usage, "no valid answer to: \(prompt.trimmingCharacters(in: .whitespaces))")
    }
}
