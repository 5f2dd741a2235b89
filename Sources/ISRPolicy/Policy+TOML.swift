import Foundation
import ISRCrypto
import ISRPacket
import TOMLKit

extension Policy {
    /// Policy files are small; a larger one is refused before parsing.
    public static let maximumFileBytes = 256 * 1024

    /// Loads and validates a policy file (bounded in size).
    public static func load(from path: String) throws(PolicyError) -> Policy {
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(path, limit: maximumFileBytes)
        } catch where error.code == .identityFileTooLarge {
            throw PolicyError(.tooLarge, "\(path) is larger than \(maximumFileBytes) bytes; a policy file is much smaller")
        } catch {
            throw PolicyError(.unreadable, "cannot read the policy file: \(error.message)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PolicyError(.syntax, "\(path) is not UTF-8 text")
        }
        return try Policy(toml: text, source: path)
    }

    /// Parses policy TOML. Unknown keys are errors, so a misspelt rule is never silently ignored.
    public init(toml text: String, source: String = "policy") throws(PolicyError) {
        guard text.utf8.count <= Self.maximumFileBytes else {
            throw PolicyError(.tooLarge, "\(source) is larger than \(Self.maximumFileBytes) bytes")
        }
        let document: Document
        do {
            document = try TOMLDecoder(strictDecoding: true).decode(Document.self, from: text)
        } catch let error as TOMLParseError {
            throw PolicyError(.syntax, "\(source):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        } catch let error as UnexpectedKeysError {
            let paths = error.keys.map { key, path in (path.map(\.stringValue) + [key]).joined(separator: ".") }.sorted()
            throw PolicyError(.unknownKey, "\(source): unknown key\(paths.count == 1 ? "" : "s") \(paths.joined(separator: ", ")); check the spelling against config/policy.toml")
        } catch let DecodingError.keyNotFound(key, context) {
            var components = context.codingPath.map(\.stringValue)
            if components.last != key.stringValue { components.append(key.stringValue) }
            let path = components.joined(separator: ".")
            throw PolicyError(.invalid, "\(source): `\(path)` is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw PolicyError(.invalid, "\(source): `\(context.codingPath.map(\.stringValue).joined(separator: "."))` has the wrong type")
        } catch {
            throw PolicyError(.invalid, "\(source): \(error)")
        }
        self = try document.validated(source: source)
    }

    /// The file layout, decoded strictly; `validated` turns it into a `Policy` or says what is wrong.
    struct Document: Decodable {
        var version: Int
        var agencyKinds: [String]
        var urgency: Urgency
        var lawfulBases: [String: Basis]
        var conditions: [String: Basis]
        var fields: [String: Field]
        var purposes: [String: PurposeEntry]

        enum CodingKeys: String, CodingKey {
            case version, urgency, fields, purposes, conditions
            case agencyKinds = "agency_kinds"
            case lawfulBases = "lawful_bases"
        }

        struct Urgency: Decodable {
            var priorityMaxHours: Int
            var urgentMaxHours: Int
            enum CodingKeys: String, CodingKey {
                case priorityMaxHours = "priority_max_hours"
                case urgentMaxHours = "urgent_max_hours"
            }
        }

        struct Basis: Decodable {
            var title: String
            var reference: String
            var consentBased: Bool?
            var agencyKinds: [String]?
            enum CodingKeys: String, CodingKey {
                case title, reference
                case consentBased = "consent_based"
                case agencyKinds = "agency_kinds"
            }
        }

        struct Field: Decodable {
            var label: String
            var identifying: Bool
        }

        struct Deadline: Decodable {
            var seconds: Int?
            var hours: Int?
            var workingDays: Int?
            var nextWorkingDayAt: String?
            enum CodingKeys: String, CodingKey {
                case seconds, hours
                case workingDays = "working_days"
                case nextWorkingDayAt = "next_working_day_at"
            }
        }

        struct PurposeEntry: Decodable {
            var title: String
            var guidance: String
            var lawfulBases: [String]
            var specialCategory: Bool
            var conditions: [String]
            var allowedFields: [String]
            var requiredFields: [String]
            var identifyingAllowed: Bool
            var recipientAgencyKinds: [String]
            var countersign: Bool
            var ifConsentRefused: [String]?
            var ackDeadline: Deadline
            var countersignWithin: Deadline?
            var retentionDays: Int
            enum CodingKeys: String, CodingKey {
                case title, guidance, countersign
                case lawfulBases = "lawful_bases"
                case specialCategory = "special_category"
                case conditions
                case allowedFields = "allowed_fields"
                case requiredFields = "required_fields"
                case identifyingAllowed = "identifying_allowed"
                case recipientAgencyKinds = "recipient_agency_kinds"
                case ackDeadline = "ack_deadline"
                case countersignWithin = "countersign_within"
                case ifConsentRefused = "if_consent_refused"
                case retentionDays = "retention_days"
            }
        }

        func validated(source: String) throws(PolicyError) -> Policy {
            func fail(_ path: String, _ message: String) -> PolicyError { PolicyError(.invalid, "\(source): \(path): \(message)") }
            guard version == 1 else { throw fail("version", "policy format \(version) is not supported; this ISR reads version 1") }
            let codes = Array(lawfulBases.keys) + Array(conditions.keys) + Array(fields.keys) + Array(purposes.keys) + agencyKinds
            if let bad = codes.first(where: { !PacketCode.isValid($0) }) {
                throw fail(bad, "`\(bad)` is not a code: use lowercase letters, digits, `-` and `_`, starting with a letter")
            }
            guard !purposes.isEmpty else { throw fail("purposes", "the policy defines no purpose") }
            guard Set(agencyKinds).count == agencyKinds.count, !agencyKinds.isEmpty else { throw fail("agency_kinds", "list each agency kind once") }
            guard (1...168).contains(urgency.urgentMaxHours), (1...720).contains(urgency.priorityMaxHours),
                  urgency.urgentMaxHours <= urgency.priorityMaxHours else {
                throw fail("urgency", "urgent_max_hours (1–168) must not exceed priority_max_hours (1–720)")
            }
            guard lawfulBases.values.filter({ $0.consentBased == true }).count <= 1 else {
                throw fail("lawful_bases", "only one lawful basis can be consent_based")
            }
            if let clash = conditions.keys.first(where: { lawfulBases[$0] != nil }) {
                throw fail("conditions.\(clash)", "`\(clash)` is both a lawful basis and a condition; a condition (Art. 9) is not a lawful basis (Art. 6): give it its own code")
            }
            for (code, basis) in lawfulBases {
                if let unknown = basis.agencyKinds?.first(where: { !agencyKinds.contains($0) }) {
                    throw fail("lawful_bases.\(code).agency_kinds", "`\(unknown)` is not in agency_kinds")
                }
            }
            var purposes: [String: Purpose] = [:]
            for (code, entry) in self.purposes {
                let path = "purposes.\(code)"
                for (key, list) in [("lawful_bases", entry.lawfulBases), ("conditions", entry.conditions), ("allowed_fields", entry.allowedFields),
                                    ("required_fields", entry.requiredFields), ("recipient_agency_kinds", entry.recipientAgencyKinds)] {
                    guard Set(list).count == list.count else { throw fail("\(path).\(key)", "lists an entry twice") }
                }
                // An anonymous purpose identifies no one, so it needs no lawful basis; every other purpose needs one.
                guard !entry.lawfulBases.isEmpty || !entry.identifyingAllowed else {
                    throw fail("\(path).lawful_bases", "a purpose that identifies the child needs at least one lawful basis")
                }
                if let unknown = entry.lawfulBases.first(where: { lawfulBases[$0] == nil }) {
                    throw fail("\(path).lawful_bases", "`\(unknown)` is not defined under [lawful_bases]")
                }
                if let unknown = entry.conditions.first(where: { conditions[$0] == nil }) {
                    throw fail("\(path).conditions", "`\(unknown)` is not defined under [conditions]")
                }
                guard entry.specialCategory == !entry.conditions.isEmpty else {
                    throw fail("\(path).conditions", "list the conditions a special-category purpose may rely on, and none for a purpose that is not (special_category = \(entry.specialCategory))")
                }
                if let unknown = entry.allowedFields.first(where: { fields[$0] == nil }) {
                    throw fail("\(path).allowed_fields", "`\(unknown)` is not defined under [fields]")
                }
                if let extra = entry.requiredFields.first(where: { !entry.allowedFields.contains($0) }) {
                    throw fail("\(path).required_fields", "`\(extra)` is required but not in allowed_fields")
                }
                if !entry.identifyingAllowed, let identifying = entry.allowedFields.first(where: { fields[$0]?.identifying == true }) {
                    throw fail("\(path).allowed_fields", "`\(identifying)` identifies the child, but identifying_allowed = false")
                }
                guard !entry.recipientAgencyKinds.isEmpty else { throw fail("\(path).recipient_agency_kinds", "name at least one agency kind") }
                if let unknown = entry.ifConsentRefused?.first(where: { self.purposes[$0] == nil || $0 == code }) {
                    throw fail("\(path).if_consent_refused", "`\(unknown)` is not another purpose of this policy")
                }
                if let unknown = entry.recipientAgencyKinds.first(where: { !agencyKinds.contains($0) }) {
                    throw fail("\(path).recipient_agency_kinds", "`\(unknown)` is not in agency_kinds")
                }
                guard (0...PacketLimits.maximumRetentionDays).contains(entry.retentionDays) else {
                    throw fail("\(path).retention_days", "must be 0 to \(PacketLimits.maximumRetentionDays)")
                }
                guard !entry.title.isEmpty, !entry.guidance.isEmpty else { throw fail(path, "title and guidance must not be empty") }
                guard entry.countersign == (entry.countersignWithin != nil) else {
                    throw fail("\(path).countersign_within", "set countersign_within exactly when countersign = true (how long the dsl/manager has to countersign)")
                }
                var countersignWithin: DeadlineRule?
                if let within = entry.countersignWithin { countersignWithin = try within.rule(path: "\(path).countersign_within", fail: fail) }
                purposes[code] = Purpose(
                    code: code, title: entry.title, guidance: entry.guidance, lawfulBases: entry.lawfulBases,
                    specialCategory: entry.specialCategory, conditions: entry.conditions, allowedFields: entry.allowedFields, requiredFields: entry.requiredFields, identifyingAllowed: entry.identifyingAllowed,
                    recipientAgencyKinds: entry.recipientAgencyKinds, ifConsentRefused: entry.ifConsentRefused ?? [], countersign: entry.countersign,
                    acknowledgementDeadline: try entry.ackDeadline.rule(path: "\(path).ack_deadline", fail: fail),
                    countersignWithin: countersignWithin, retentionDays: entry.retentionDays)
            }
            return Policy(
                agencyKinds: agencyKinds,
                urgency: UrgencyCaps(priorityMaxHours: urgency.priorityMaxHours, urgentMaxHours: urgency.urgentMaxHours),
                lawfulBases: Dictionary(uniqueKeysWithValues: lawfulBases.map { code, basis in
                    (code, LawfulBasis(code: code, title: basis.title, reference: basis.reference, consentBased: basis.consentBased ?? false,
                                       availableTo: basis.agencyKinds))
                }),
                conditions: Dictionary(uniqueKeysWithValues: conditions.map { code, condition in
                    (code, LawfulBasis(code: code, title: condition.title, reference: condition.reference, consentBased: condition.consentBased ?? false,
                                       availableTo: condition.agencyKinds))
                }),
                fields: Dictionary(uniqueKeysWithValues: fields.map { name, field in (name, FieldSpec(name: name, label: field.label, identifying: field.identifying)) }),
                purposes: purposes)
        }
    }
}

extension Policy.Document.Deadline {
    func rule(path: String, fail: (String, String) -> PolicyError) throws(PolicyError) -> DeadlineRule {
        switch (seconds, hours, workingDays, nextWorkingDayAt) {
        case (let n?, nil, nil, nil):
            guard (1...86_400).contains(n) else { throw fail(path, "seconds must be 1 to 86400 (for test policies)") }
            return .seconds(n)
        case (nil, let n?, nil, nil):
            guard (1...720).contains(n) else { throw fail(path, "hours must be 1 to 720") }
            return .hours(n)
        case (nil, nil, let n?, nil):
            guard (1...30).contains(n) else { throw fail(path, "working_days must be 1 to 30") }
            return .workingDays(n)
        case (nil, nil, nil, let time?):
            let parts = time.split(separator: ":")
            guard time.count == 5, parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m) else {
                throw fail(path, "next_working_day_at must be a time HH:MM, e.g. \"08:30\"")
            }
            return .nextWorkingDayAt(hour: h, minute: m)
        default:
            throw fail(path, "set exactly one of hours, working_days or next_working_day_at (or seconds, in test policies)")
        }
    }
}
