import Foundation
import ISRClient
import ISRPolicy

/// On a terminal, `isr send` asks for what is missing in the order the guidance asks its questions: is there a
/// legitimate purpose and lawful basis; is there consent, or a reason to share without it; what identifies the
/// child; is the subject informed, or why not; why does the recipient need it; is each item fact or opinion.
enum GuidedSend {
    static var interactive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    /// Fills `purpose` and `content` from answers; at most three tries per question, then a usage error.
    static func fill(purpose: inout String?, content: inout ShareContent, policy: Policy) throws(ClientError) {
        if purpose == nil {
            print("What is the legitimate purpose for sharing?")
            for code in policy.purposeCodes { print("  \(code) — \(policy.purposes[code]?.title ?? "")") }
            purpose = try ask("purpose: ") { policy.purposes[$0] != nil }
        }
        guard let chosen = purpose.flatMap({ policy.purposes[$0] }) else { return }
        if content.basis == nil, chosen.identifyingAllowed {
            print("Which lawful basis? For \(chosen.code): \(chosen.lawfulBases.joined(separator: ", "))")
            content.basis = try ask("lawful basis: ") { chosen.lawfulBases.contains($0) }
        }
        if content.condition == nil, chosen.identifyingAllowed, chosen.specialCategory {
            print("It may carry special-category data (health, disability…). Which condition? For \(chosen.code): \(chosen.conditions.joined(separator: ", "))")
            content.condition = try ask("condition: ") { chosen.conditions.contains($0) }
        }
        if content.consent == nil, chosen.identifyingAllowed {
            content.consent = try ask("Is there consent? given / refused / not-sought: ") { ["given", "refused", "not-sought"].contains($0) }
        }
        if content.consent != nil, content.consent != "given", content.consentReason == nil {
            content.consentReason = try ask("Why is it right to share without consent (e.g. risk of significant harm)? ") { !$0.isEmpty }
        }
        let given = Set(content.fields.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        for field in chosen.requiredFields where !given.contains(field) {
            let label = policy.fields[field]?.label ?? field
            let value = try ask("\(label) (\(field), required for \(chosen.code)): ") { !$0.isEmpty }
            content.fields.append("\(field)=\(value)")
        }
        if chosen.identifyingAllowed, content.informed == nil {
            content.informed = try ask("Has the child or family been told this is being shared? yes / no: ") { ["yes", "no"].contains($0) }
        }
        if content.informed == "no", content.informedReason == nil {
            content.informedReason = try ask("Why not (e.g. it would increase the risk of harm)? ") { !$0.isEmpty }
        }
        if content.statement == nil {
            content.statement = try ask("Why does the recipient need this? Share only what the purpose needs: ") { !$0.isEmpty }
        }
        if content.facts.isEmpty && content.opinions.isEmpty && content.reported.isEmpty {
            print("What are you sharing? One item per line, each marked fact:, opinion: or reported: (an empty line ends).")
            for _ in 0..<50 {
                guard let line = readLine()?.trimmingCharacters(in: .whitespaces), !line.isEmpty else { break }
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, !parts[1].isEmpty else { print("  start the line with fact:, opinion: or reported:"); continue }
                switch parts[0].lowercased() {
                case "fact": content.facts.append(parts[1])
                case "opinion": content.opinions.append(parts[1])
                case "reported": content.reported.append(parts[1])
                default: print("  start the line with fact:, opinion: or reported:")
                }
            }
        }
        if content.source == nil, !(content.facts.isEmpty && content.opinions.isEmpty && content.reported.isEmpty) {
            content.source = try ask("Who saw, judged or reported these? ") { !$0.isEmpty }
        }
    }

    private static func ask(_ prompt: String, valid: (String) -> Bool) throws(ClientError) -> String {
        for _ in 0..<3 {
            print(prompt, terminator: "")
            guard let answer = readLine()?.trimmingCharacters(in: .whitespaces) else { break }
            if valid(answer) { return answer }
            print("  that is not one of the choices")
        }
        throw ClientError(.usage, "no valid answer to: \(prompt.trimmingCharacters(in: .whitespaces))")
    }
}
