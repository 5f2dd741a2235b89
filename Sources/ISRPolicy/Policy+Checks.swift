import Foundation
import ISRLifecycle
import ISRPacket

extension Policy {
    /// The rules the relay can enforce from the header alone (it never sees the body).
    ///
    /// `recipientAgencyKinds` maps each addressed recipient to its agency's kind, when the caller knows them
    /// (the relay, from its registry; the client, from the signed directory). They are checked only for packets that
    /// start a conversation: replies go to the parties of what they answer, whatever their kind.
    /// `senderAgencyKind` decides which lawful bases the sender may rely on.
    public func checkHeader(_ header: PacketHeader, recipientAgencyKinds: [MemberID: String]? = nil, senderAgencyKind: String? = nil) -> [PolicyViolation] {
        var violations: [PolicyViolation] = []
        guard let purpose = purposes[header.purpose] else {
            return [PolicyViolation(.unknownPurpose, "purpose `\(header.purpose)` is not in the policy; choose one of \(purposeCodes.joined(separator: ", ")) (see `isr purposes`)")]
        }
        let allowedBases = purpose.lawfulBases.joined(separator: ", ")
        // An anonymous purpose identifies no one: it needs neither a lawful basis nor a consent position.
        let identifies = purpose.identifyingAllowed
        if header.kind.needsLawfulBasis && identifies {
            if let basis = header.lawfulBasis {
                if !purpose.lawfulBases.contains(basis) {
                    violations.append(PolicyViolation(.lawfulBasisNotAllowed, "purpose `\(purpose.code)` does not allow lawful basis `\(basis)`; choose one of \(allowedBases)"))
                }
            } else {
                violations.append(PolicyViolation(.lawfulBasisMissing, "a `\(header.kind.rawValue)` needs a lawful basis; for `\(purpose.code)` choose one of \(allowedBases)"))
            }
        } else if let basis = header.lawfulBasis, lawfulBases[basis] == nil {
            violations.append(PolicyViolation(.lawfulBasisNotAllowed, "lawful basis `\(basis)` is not in the policy; choose one of \(lawfulBases.keys.sorted().joined(separator: ", ")) or leave it out"))
        }
        if header.kind.needsLawfulBasis && identifies && purpose.specialCategory {
            let allowed = purpose.conditions.joined(separator: ", ")
            if let condition = header.condition {
                if !purpose.conditions.contains(condition) {
                    violations.append(PolicyViolation(.conditionNotAllowed, "purpose `\(purpose.code)` does not allow condition `\(condition)` for special-category data; choose one of \(allowed)"))
                }
            } else {
                violations.append(PolicyViolation(.conditionMissing, "`\(purpose.code)` may carry special-category data (health, disability…): state the condition for it besides the lawful basis, one of \(allowed) (--condition)"))
            }
        } else if let condition = header.condition, conditions[condition] == nil {
            violations.append(PolicyViolation(.conditionNotAllowed, "condition `\(condition)` is not in the policy; choose one of \(conditions.keys.sorted().joined(separator: ", ")) or leave it out"))
        }
        if let basis = header.lawfulBasis, let senderAgencyKind, let available = lawfulBases[basis]?.availableTo, !available.contains(senderAgencyKind) {
            let others = purpose.lawfulBases.filter { lawfulBases[$0]?.availableTo?.contains(senderAgencyKind) ?? true }
            violations.append(PolicyViolation(.lawfulBasisNotAllowed, "lawful basis `\(basis)` is available to \(available.joined(separator: ", ")) agencies, not to a \(senderAgencyKind) performing its tasks; choose \(others.isEmpty ? "another purpose" : others.joined(separator: ", "))"))
        }
        if header.kind.disclosesInformation && identifies {
            if header.consent == .refused, !purpose.ifConsentRefused.isEmpty {
                violations.append(PolicyViolation(.consentRefusedUseAnotherPurpose, "`\(purpose.code)` works with the family's agreement, and consent was refused: if you believe the child is at risk of significant harm, use \(purpose.ifConsentRefused.joined(separator: " or ")) instead; otherwise do not share, and record the decision with `isr decide --not-share`"))
            }
            if header.consent == .notApplicable {
                violations.append(PolicyViolation(.consentMissing, "record the consent position for a `\(header.kind.rawValue)`: given, refused, or not-sought"))
            }
            if header.consent == .refused || header.consent == .notSought, let condition = header.condition, conditions[condition]?.consentBased == true {
                let others = purpose.conditions.filter { conditions[$0]?.consentBased != true }
                violations.append(PolicyViolation(.consentBasisContradiction, "consent was \(header.consent == .refused ? "refused" : "not sought"), so condition `\(condition)` cannot apply; choose \(others.isEmpty ? "a purpose that allows sharing without consent" : others.joined(separator: ", "))"))
            }
            if header.consent == .refused || header.consent == .notSought, let basis = header.lawfulBasis, lawfulBases[basis]?.consentBased == true {
                let others = purpose.lawfulBases.filter { lawfulBases[$0]?.consentBased != true }
                let advice = others.isEmpty ? "purpose `\(purpose.code)` has no other basis: choose a purpose that allows sharing without consent" : "choose a basis that does not rest on consent (\(others.joined(separator: ", ")))"
                violations.append(PolicyViolation(.consentBasisContradiction, "consent was \(header.consent == .refused ? "refused" : "not sought"), so lawful basis `\(basis)` cannot apply; \(advice)"))
            }
        }
        if header.kind == .consultation, purpose.identifyingAllowed {
            let anonymous = purposes.values.filter { !$0.identifyingAllowed }.map(\.code).sorted()
            violations.append(PolicyViolation(.kindNotAllowedForPurpose, "a consultation is anonymous, but purpose `\(purpose.code)` allows identifying the child; use \(anonymous.isEmpty ? "a share" : anonymous.joined(separator: " or "))"))
        }
        for field in header.fieldNames where !purpose.allowedFields.contains(field) {
            let identifying = fields[field]?.identifying == true && !purpose.identifyingAllowed
            let reason = identifying ? "it identifies the child, and `\(purpose.code)` must not" : "it is not needed for this purpose"
            violations.append(PolicyViolation(.fieldNotAllowed, "purpose `\(purpose.code)` does not allow field `\(field)` (\(reason)); remove it, or choose a purpose that allows it"))
        }
        if header.kind.disclosesInformation {
            for field in purpose.requiredFields where !header.fieldNames.contains(field) {
                let label = fields[field]?.label ?? field
                violations.append(PolicyViolation(.requiredFieldMissing, "purpose `\(purpose.code)` requires field `\(field)` (\(label)); add it with --field \(field)=VALUE"))
            }
        }
        if !purpose.identifyingAllowed, header.subjectReference != nil {
            violations.append(PolicyViolation(.subjectReferenceNotAllowed, "purpose `\(purpose.code)` is anonymous: leave out the subject reference, which would link it to a case"))
        }
        if header.retentionDays != purpose.retentionDays {
            violations.append(PolicyViolation(.retentionMismatch, "purpose `\(purpose.code)` keeps packets \(purpose.retentionDays) days, the packet says \(header.retentionDays); refresh the policy and rebuild the packet"))
        }
        if let recipientAgencyKinds, Lifecycle.isOriginal(header.kind, answering: header.inReplyTo) {
            for recipient in header.recipients {
                guard let kind = recipientAgencyKinds[recipient] else { continue }
                if !purpose.recipientAgencyKinds.contains(kind) {
                    violations.append(PolicyViolation(.recipientKindNotAllowed, "purpose `\(purpose.code)` may go to \(purpose.recipientAgencyKinds.joined(separator: ", ")), not to \(recipient) (a \(kind) agency); choose another recipient or purpose"))
                }
            }
        }
        return violations
    }

    /// The rules only the clients can enforce, on the decrypted body: consent reasons, whether the subject was
    /// informed, fields matching the header, identifiers in anonymous text, and what each kind must say.
    public func checkBody(_ body: PacketBody, header: PacketHeader) -> [PolicyViolation] {
        var violations: [PolicyViolation] = []
        let purpose = purposes[header.purpose]
        if body.fieldNames != header.fieldNames {
            violations.append(PolicyViolation(.fieldsMismatch, "the body holds fields [\(body.fieldNames.joined(separator: ", "))] but the header declares [\(header.fieldNames.joined(separator: ", "))]; the packet does not match its header"))
        }
        if header.kind.needsStatement, body.statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let what: String = switch header.kind {
            case .readback: "say in your own words what you understood (the key facts and the level of concern)"
            case .decline, .decision: "record the reasons for the decision"
            case .clarify: "say what needs clarifying"
            default: "state the purpose of sharing: why this recipient needs this information"
            }
            violations.append(PolicyViolation(.statementMissing, "a `\(header.kind.rawValue)` needs a statement: \(what)"))
        }
        if header.kind == .readback, body.concern == nil {
            violations.append(PolicyViolation(.concernMissing, "a read-back states the level of concern you understood: low, medium, high or immediate"))
        }
        if header.kind == .share, body.items.isEmpty, body.fields.isEmpty {
            violations.append(PolicyViolation(.nothingShared, "the share holds no items; add what you are sharing, each tagged --fact, --opinion or --reported"))
        }
        if header.kind.disclosesInformation, purpose?.identifyingAllowed != false {
            if header.consent == .refused, body.consentDetail == nil {
                violations.append(PolicyViolation(.consentOverrideReasonMissing, "consent was refused: record why sharing is still justified (e.g. risk of significant harm) with --consent-reason"))
            }
            if header.consent == .notSought, body.consentDetail == nil {
                violations.append(PolicyViolation(.consentOverrideReasonMissing, "consent was not sought: record why (e.g. seeking it would increase the risk of harm) with --consent-reason"))
            }
            if purpose?.identifyingAllowed != false {
                if body.subjectInformed == nil {
                    violations.append(PolicyViolation(.subjectInformedMissing, "say whether the child or family has been told this is being shared: --informed yes, or --informed no with a reason"))
                } else if body.subjectInformed == false, body.informedReason == nil {
                    violations.append(PolicyViolation(.informedReasonMissing, "the subject was not informed: record why (e.g. it would increase the risk of harm) with --informed-reason"))
                }
            }
        }
        if let purpose, !purpose.identifyingAllowed {
            for (place, text) in Self.texts(of: body) {
                for finding in IdentifierScanner.scan(text) {
                    violations.append(PolicyViolation(.identifierInAnonymousText, "\(place), characters \(finding.firstCharacter)–\(finding.lastCharacter): «\(finding.text)» looks like \(finding.kind.article) \(finding.kind.rawValue); `\(purpose.code)` must not identify the child — remove it (give an age or year group instead), or choose a purpose that allows identifying fields"))
                }
            }
        }
        return violations
    }

    /// Header and body rules together.
    public func check(header: PacketHeader, body: PacketBody, recipientAgencyKinds: [MemberID: String]? = nil) -> [PolicyViolation] {
        checkHeader(header, recipientAgencyKinds: recipientAgencyKinds) + checkBody(body, header: header)
    }

    /// Every free text in a body, named so a person can find it.
    static func texts(of body: PacketBody) -> [(String, String)] {
        var texts: [(String, String)] = [("the statement", body.statement)]
        for (index, item) in body.items.enumerated() {
            texts.append(("item \(index + 1) text", item.text))
            texts.append(("item \(index + 1) source", item.source))
        }
        for field in body.fields { texts.append(("field `\(field.name)`", field.value)) }
        for (place, text) in [("the consent details", body.consentDetail), ("the reason for not informing", body.informedReason), ("the ask", body.ask)] {
            if let text { texts.append((place, text)) }
        }
        return texts
    }
}

extension IdentifierScanner.Kind {
    var article: String { self == .email || self == .nhsNumber ? "an" : "a" }
}
