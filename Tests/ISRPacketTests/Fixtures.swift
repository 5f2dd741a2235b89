import Foundation
import ISRCrypto
@testable import ISRPacket

/// Deterministic practitioners for tests and vectors: each key seed is SHA-256("isr test key/<id>/<algorithm>").
struct Practitioner {
    let id: MemberID
    let keys: PractitionerKeys

    init(_ id: String) {
        self.id = try! MemberID(id)
        var signingSeed = SHA256.hash(Array("isr test key/\(id)/ed25519".utf8))
        var encryptionSecret = SHA256.hash(Array("isr test key/\(id)/x25519".utf8))
        keys = PractitionerKeys(signing: try! SigningKeyPair(seed: SecretBytes(consuming: &signingSeed)),
                                encryption: try! EncryptionKeyPair(secretKey: SecretBytes(consuming: &encryptionSecret)))
    }

    var signingSeedHex: String { keys.signing.seed.withUnsafeBytes { Array($0) }.hex }
    var encryptionSecretHex: String { keys.encryption.secretKey.withUnsafeBytes { Array($0) }.hex }
}

enum Cast {
    static let alice = Practitioner("alice@school-a")      // a teacher (sender)
    static let bob = Practitioner("bob@health-visiting")  // a health visitor
    static let carol = Practitioner("carol@devon-csc")    // children's social care, duty team
    static let dan = Practitioner("dan@devon-csc")        // children's social care, duty team
    static let mallory = Practitioner("mallory@elsewhere")
    static let duty = try! MemberID("duty@devon-csc")
    static let all = [alice, bob, carol, dan, mallory]
}

enum Samples {
    static let created: Int64 = 1_795_000_000 // 2026-11-18

    static func header(_ kind: PacketKind, from sender: Practitioner = Cast.alice, to recipients: [MemberID] = [Cast.bob.id],
                       fields: [String] = [], id: PacketID? = nil) -> PacketHeader {
        let replying = kind.needsEarlierPacket
        return PacketHeader(
            id: id ?? (try! PacketID(bytes: Array(SHA256.hash(Array("packet/\(kind.rawValue)".utf8)).prefix(16)))),
            kind: kind, sender: sender.id, recipients: recipients,
            purpose: kind == .consultation ? "anonymous-consultation" : "child-in-need",
            lawfulBasis: [.confirm, .clarify, .readback, .decision].contains(kind) ? nil : "public-task",
            condition: [.share, .request, .correction, .outcome].contains(kind) ? "safeguarding" : nil,
            consent: kind == .share ? .refused : .notApplicable, urgency: .priority, createdAt: created,
            acknowledgeBy: created + 86_400, fieldNames: fields, subjectReference: kind == .consultation ? nil : "CASE-2026-0042",
            inReplyTo: replying ? try! PacketID(hex: "00112233445566778899aabbccddeeff") : nil, retentionDays: 90)
    }

    static func body(_ kind: PacketKind) -> PacketBody {
        switch kind {
        case .share:
            PacketBody(
                statement: "Assessment of needs under s17: concerns about attendance and presentation.",
                items: [
                    BodyItem(tag: .fact, text: "Attendance 62% this term; 11 late arrivals.", source: "school register", refersTo: "2026-11-13"),
                    BodyItem(tag: .opinion, text: "Increasingly withdrawn in class; I am worried about home circumstances.", source: "class teacher", refersTo: "2026-11-16"),
                    BodyItem(tag: .reported, text: "Said there is often no food at home at weekends.", source: "the child, to the class teacher", refersTo: "2026-11-17"),
                ],
                fields: [SubjectField(name: "name", value: "Sam Example"), SubjectField(name: "date_of_birth", value: "2015-03-12")],
                consentDetail: "Mother refused consent on 2026-11-17; sharing because of risk of significant harm (neglect); agreed with DSL.",
                subjectInformed: false, informedReason: "Informing the family now could increase the risk to the child.",
                ask: "Please advise whether this meets the threshold for a child-in-need assessment.")
        case .readback:
            PacketBody(statement: "I understand attendance has dropped to 62% with frequent lateness, the teacher's opinion is that the child is withdrawn, and the child reported no food at weekends.", concern: .high)
        case .consultation:
            PacketBody(statement: "Seeking advice without identifying the child.",
                       items: [BodyItem(tag: .reported, text: "A Year 5 pupil described being left alone overnight.", source: "pupil, to teaching assistant", refersTo: "2026-11-17")],
                       fields: [SubjectField(name: "age_years", value: "9")], ask: "Does this meet the threshold for a referral?")
        default:
            PacketBody(statement: "\(kind.rawValue): statement for this kind.")
        }
    }

    static func fields(_ kind: PacketKind) -> [String] { body(kind).fieldNames }

    static func keys(for recipients: [MemberID]) -> [MemberID: [MemberID: EncryptionPublicKey]] {
        var map: [MemberID: [MemberID: EncryptionPublicKey]] = [:]
        for address in recipients {
            if address == Cast.duty {
                map[address] = [Cast.carol.id: Cast.carol.keys.encryption.publicKey, Cast.dan.id: Cast.dan.keys.encryption.publicKey]
            } else if let member = Cast.all.first(where: { $0.id == address }) {
                map[address] = [member.id: member.keys.encryption.publicKey]
            }
        }
        return map
    }

    static func packet(_ kind: PacketKind, from sender: Practitioner = Cast.alice, to recipients: [MemberID] = [Cast.bob.id]) throws -> SealedPacket {
        try PacketSealer.seal(header: header(kind, from: sender, to: recipients, fields: fields(kind)), body: body(kind),
                              keys: keys(for: recipients), signer: sender.keys.signing)
    }
}

extension Array where Element == UInt8 {
    init(hex: String) { self = Hex.decode(hex)! }
    var hex: String { Hex.encode(self) }
}
