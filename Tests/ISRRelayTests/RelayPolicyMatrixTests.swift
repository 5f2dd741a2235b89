import Foundation
import ISRCrypto
import ISRPacket
import ISRPolicy
import ISRRelayAPI
import ISRRelay
import ISRTestSupport
import Testing

/// The lifecycle across every agency kind, generated from the shipped `config/policy.toml`: for every purpose and every
/// (sender kind, recipient kind) pair it allows, a share (or anonymous consultation) is sent, countersigned where the
/// purpose says so, fetched, read, read back and confirmed over real mutual TLS. Per purpose, also: two recipients who
/// both read back, a role address answered by one member, and a request answered by two agencies (one shares, one
/// declines). A new purpose or agency kind in the policy is covered without editing this test. Each runs on the
/// embedded SQLite store and on PostgreSQL.
@Suite(.serialized) struct RelayPolicyMatrixTests {
    enum Store: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres

        var testDescription: String { rawValue }

        /// The relay's `[store] url`, or nil for its SQLite file.
        func url() async throws -> String? {
            self == .postgres ? try await TestPostgres.newDatabase() : nil
        }
    }

    /// The cast of one agency of each kind: a sender, two practitioners, a dsl, and a duty role of the two.
    struct Agency {
        let kind: String
        let sender: Person
        let first: Person
        let second: Person
        let dsl: Person
        var duty: MemberID { get throws { try MemberID("duty@\(first.id.agency.rawValue)") } }
    }

    final class World: Sendable {
        let relay: RelayHarness
        let agencies: [String: Agency]
        let encryption: [MemberID: EncryptionPublicKey]
        let signing: [MemberID: SigningPublicKey]

        init(relay: RelayHarness, agencies: [String: Agency], people: [Person]) {
            self.relay = relay
            self.agencies = agencies
            encryption = Dictionary(uniqueKeysWithValues: people.map { ($0.id, $0.keys.encryption.publicKey) })
            signing = Dictionary(uniqueKeysWithValues: people.map { ($0.id, $0.keys.signing.publicKey) })
        }

        var policy: Policy { relay.policy }

        static func make(_ store: Store) async throws -> World {
            let relay = try await RelayHarness.start(storeURL: try await store.url())
            var agencies: [String: Agency] = [:]
            var people: [Person] = []
            for kind in relay.policy.agencyKinds {
                let agency = "k-\(kind)"
                try await relay.addAgency(agency, kind: kind)
                let cast = Agency(kind: kind, sender: try await relay.enrol("sender@\(agency)", agencyKind: kind),
                                  first: try await relay.enrol("first@\(agency)", agencyKind: kind), second: try await relay.enrol("second@\(agency)", agencyKind: kind),
                                  dsl: try await relay.enrol("dsl@\(agency)", role: "dsl", agencyKind: kind))
                let role = try await relay.json(relay.admin, .put, "/v1/admin/roles/duty@\(agency)", ["members": [cast.first.id.rawValue, cast.second.id.rawValue]])
                #expect(role.status == .ok, "\(role.text)")
                agencies[kind] = cast
                people += [cast.sender, cast.first, cast.second, cast.dsl]
            }
            return World(relay: relay, agencies: agencies, people: people)
        }

        /// A body that meets `purpose`'s rules: its required fields, a fact, and (where the child is identified) the consent
        /// and informed positions; nothing identifying in an anonymous one.
        func body(for kind: PacketKind, purpose: Purpose) -> PacketBody {
            switch kind {
            case .readback: return PacketBody(statement: "Understood: attendance has fallen to 62% (fact); the teacher thinks the child is withdrawn (opinion).", concern: .medium)
            case .request: return PacketBody(statement: "We are assessing this child's needs: what do you know about attendance this term?", ask: "Attendance this term")
            case .share, .consultation, .correction:
                let fields = purpose.requiredFields.map { SubjectField(name: $0, value: purpose.identifyingAllowed ? "value of \($0)" : "not known") }
                return PacketBody(statement: "Shared for \(purpose.code): why this recipient needs it.",
                                  items: [BodyItem(tag: .fact, text: "Attendance fell to 62% this term.", source: "school register", refersTo: "2026-11-13")],
                                  fields: fields, consentDetail: purpose.identifyingAllowed ? "Parent refused; risk of significant harm justifies sharing." : nil,
                                  subjectInformed: purpose.identifyingAllowed ? false : nil,
                                  informedReason: purpose.identifyingAllowed ? "Telling the family could increase the risk." : nil)
            default: return PacketBody(statement: "\(kind.rawValue): reasons and notes.")
            }
        }

        /// The lawful basis a `senderKind` agency would rely on for `purpose` (nil where none is needed or none is open to it).
        func basis(for purpose: Purpose, senderKind: String) -> String?? {
            guard purpose.identifyingAllowed else { return .some(nil) }
            let usable = purpose.lawfulBases.filter { policy.lawfulBases[$0]?.availableTo?.contains(senderKind) ?? true }
            return usable.first { policy.lawfulBases[$0]?.consentBased != true }.map { .some($0) } ?? nil
        }

        /// A sealed packet; held purposes are also sealed to the sender agency's dsl.
        func build(_ kind: PacketKind, from sender: Person, to addresses: [MemberID], purpose: Purpose, basis: String?,
                   inReplyTo: PacketID? = nil) throws -> SealedPacket {
            let body = self.body(for: kind, purpose: purpose)
            let discloses = kind.disclosesInformation && purpose.identifyingAllowed
            // Consent refused and overridden with reasons, except where the purpose does not allow overriding it (early help).
            let consent: ConsentStatus = !discloses ? .notApplicable : purpose.ifConsentRefused.isEmpty ? .refused : .given
            let header = PacketHeader(kind: kind, sender: sender.id, recipients: addresses, purpose: purpose.code,
                                      lawfulBasis: kind.needsLawfulBasis ? basis : nil,
                                      condition: kind.needsLawfulBasis && purpose.identifyingAllowed
                                        ? purpose.conditions.first { policy.conditions[$0]?.consentBased != true } : nil, consent: consent,
                                      createdAt: Int64(Date().timeIntervalSince1970), fieldNames: body.fieldNames,
                                      subjectReference: purpose.identifyingAllowed ? "CASE-9" : nil, inReplyTo: inReplyTo, retentionDays: purpose.retentionDays)
            #expect(policy.check(header: header, body: body).isEmpty, "\(purpose.code) \(kind): \(policy.check(header: header, body: body).map(\.message))")
            var keys: [MemberID: [MemberID: EncryptionPublicKey]] = [:]
            for address in addresses {
                if address.local == "duty", let cast = agencies.values.first(where: { $0.first.id.agency == address.agency }) {
                    keys[address] = [cast.first.id: cast.first.keys.encryption.publicKey, cast.second.id: cast.second.keys.encryption.publicKey]
                } else {
                    keys[address] = [address: try #require(encryption[address])]
                }
            }
            var countersigners: [MemberID: EncryptionPublicKey] = [:]
            if purpose.countersign, kind.disclosesInformation, inReplyTo == nil, let cast = agencies.values.first(where: { $0.sender.id.agency == sender.id.agency }) {
                countersigners[cast.dsl.id] = cast.dsl.keys.encryption.publicKey
            }
            return try PacketSealer.seal(header: header, body: body, keys: keys, countersigners: countersigners, signer: sender.keys.signing)
        }

        func send(_ packet: SealedPacket, as person: Person, _ what: String) async throws -> PacketID {
            let reply = try await relay.send(packet, as: person)
            #expect(reply.status == .created, "\(what): \(reply.text)")
            return try PacketHeader(derEncoded: packet.headerBytes).id
        }

        /// Fetch, verify, decrypt and post the signed receipt, as `person`.
        func read(_ id: PacketID, as person: Person, from sender: Person, _ what: String) async throws {
            let reply = try await relay.request(person, .get, "/v1/packets/\(id.hex)")
            #expect(reply.status == .ok, "\(what): fetch: \(reply.text)")
            let opened = try PacketOpener.open(reply.body, as: person.id, keys: person.keys.encryption, senderKey: sender.keys.signing.publicKey, expectedSender: sender.id)
            #expect(opened.header.id == id)
            #expect(try await relay.postReceipt(id, bytes: reply.body, as: person).status == .ok, "\(what): receipt")
        }

        /// Releases a held packet as the sender agency's dsl, after reading it.
        func countersignIfHeld(_ id: PacketID, _ packet: SealedPacket, purpose: Purpose, sender: Person, _ what: String) async throws {
            guard purpose.countersign, let cast = agencies.values.first(where: { $0.sender.id.agency == sender.id.agency }) else { return }
            try await read(id, as: cast.dsl, from: sender, what + " (countersigner)")
            let signature = Countersignature.sign(packet: packet.bytes, id: id, countersigner: cast.dsl.id, key: cast.dsl.keys.signing)
            let released = try await relay.json(cast.dsl, .post, "/v1/packets/\(id.hex)/countersign", ["signature": Data(signature).base64EncodedString()])
            #expect(released.status == .ok, "\(what): countersign: \(released.text)")
        }

        func readBack(_ id: PacketID, by reader: Person, to sender: Person, purpose: Purpose, _ what: String) async throws -> Reply {
            try await relay.send(try build(.readback, from: reader, to: [sender.id], purpose: purpose, basis: nil, inReplyTo: id), as: reader)
        }

        func confirm(_ id: PacketID, by sender: Person, reader: MemberID, purpose: Purpose, _ what: String) async throws {
            let reply = try await relay.send(try build(.confirm, from: sender, to: [reader], purpose: purpose, basis: nil, inReplyTo: id), as: sender)
            #expect(reply.status == .created, "\(what): confirm: \(reply.text)")
        }
    }

    @Test(arguments: Store.allCases)
    func everyPurposeBetweenEveryPairOfAgencyKindsItAllowsIsReadBackAndConfirmed(store: Store) async throws {
        let world = try await World.make(store)
        defer { Task { await world.relay.stop() } }
        var journeys = 0
        for purpose in world.policy.purposes.values.sorted(by: { $0.code < $1.code }) {
            let kind: PacketKind = purpose.identifyingAllowed ? .share : .consultation
            for senderKind in world.policy.agencyKinds {
                guard case .some(let basis) = world.basis(for: purpose, senderKind: senderKind), let from = world.agencies[senderKind] else { continue }
                for recipientKind in purpose.recipientAgencyKinds {
                    guard let to = world.agencies[recipientKind] else { continue }
                    let what = "\(purpose.code) from a \(senderKind) to a \(recipientKind)"
                    let packet = try world.build(kind, from: from.sender, to: [to.first.id], purpose: purpose, basis: basis)
                    let id = try await world.send(packet, as: from.sender, what)
                    try await world.countersignIfHeld(id, packet, purpose: purpose, sender: from.sender, what)
                    try await world.read(id, as: to.first, from: from.sender, what)
                    let readBack = try await world.readBack(id, by: to.first, to: from.sender, purpose: purpose, what)
                    #expect(readBack.status == .created, "\(what): read-back: \(readBack.text)")
                    try await world.confirm(id, by: from.sender, reader: to.first.id, purpose: purpose, what)
                    let status = try await world.relay.status(id, as: from.sender)
                    #expect(status.state == "confirmed" && status.recipients.map(\.state) == ["confirmed"], "\(what): \(status.recipients)")
                    journeys += 1
                }
            }
        }
        // Every purpose reached every recipient kind it allows from at least one sender kind.
        let expected = world.policy.purposes.values.reduce(0) { $0 + $1.recipientAgencyKinds.count }
        #expect(journeys >= expected, "\(journeys) journeys")
    }

    @Test(arguments: Store.allCases)
    func perPurposeTwoRecipientsARoleAddressAndARequestToTwoAgencies(store: Store) async throws {
        let world = try await World.make(store)
        defer { Task { await world.relay.stop() } }
        for purpose in world.policy.purposes.values.sorted(by: { $0.code < $1.code }) {
            let kind: PacketKind = purpose.identifyingAllowed ? .share : .consultation
            // The sender is of a kind that can rely on a basis; recipients of the first two kinds the purpose allows (or one kind twice).
            guard let senderKind = world.policy.agencyKinds.first(where: { world.basis(for: purpose, senderKind: $0) != nil }),
                  case .some(let basis) = world.basis(for: purpose, senderKind: senderKind), let from = world.agencies[senderKind],
                  let a = world.agencies[purpose.recipientAgencyKinds[0]] else { Issue.record("\(purpose.code): no sender"); continue }
            let b = world.agencies[purpose.recipientAgencyKinds.dropFirst().first ?? a.kind] ?? a
            let (one, two) = a.kind == b.kind ? (a.first, a.second) : (a.first, b.first)

            // Two recipients: each reads back, each is confirmed, each with their own state.
            var what = "\(purpose.code) to \(one.id) and \(two.id)"
            let both = try world.build(kind, from: from.sender, to: [one.id, two.id], purpose: purpose, basis: basis)
            let bothID = try await world.send(both, as: from.sender, what)
            try await world.countersignIfHeld(bothID, both, purpose: purpose, sender: from.sender, what)
            for person in [one, two] { try await world.read(bothID, as: person, from: from.sender, what) }
            #expect(try await world.readBack(bothID, by: one, to: from.sender, purpose: purpose, what).status == .created)
            #expect(try await world.relay.status(bothID, as: from.sender).recipients.map(\.state).sorted() == ["acknowledged", "read"], "\(what)")
            #expect(try await world.readBack(bothID, by: two, to: from.sender, purpose: purpose, what).status == .created, "\(what): the second recipient reads back too")
            for person in [one, two] { try await world.confirm(bothID, by: from.sender, reader: person.id, purpose: purpose, what) }
            #expect(try await world.relay.status(bothID, as: from.sender).recipients.map(\.state) == ["confirmed", "confirmed"], "\(what)")

            // A role address: one obligation, answered by the first member; the other sees who answered.
            let duty = try a.duty
            what = "\(purpose.code) to \(duty)"
            let toRole = try world.build(kind, from: from.sender, to: [duty], purpose: purpose, basis: basis)
            let roleID = try await world.send(toRole, as: from.sender, what)
            try await world.countersignIfHeld(roleID, toRole, purpose: purpose, sender: from.sender, what)
            for person in [a.first, a.second] { try await world.read(roleID, as: person, from: from.sender, what) }
            #expect(try await world.readBack(roleID, by: a.second, to: from.sender, purpose: purpose, what).status == .created)
            let again = try await world.readBack(roleID, by: a.first, to: from.sender, purpose: purpose, what)
            #expect(again.status == .unprocessableContent && again.problemCode == "lifecycle.already-answered", "\(what): \(again.text)")
            let seen = try await world.relay.inbox(of: a.first).first { $0.id == roleID.hex }
            #expect(seen?.answeredBy == a.second.id.rawValue && seen?.state == "acknowledged", "\(what): the team mailbox shows who read back")
            try await world.confirm(roleID, by: from.sender, reader: a.second.id, purpose: purpose, what)
            let roleStatus = try await world.relay.status(roleID, as: from.sender)
            #expect(roleStatus.recipients.map(\.member) == [duty.rawValue] && roleStatus.recipients.first?.answeredBy == a.second.id.rawValue)

            // A request to two agencies: one answers with a share, the other declines; each answer is accepted.
            guard purpose.identifyingAllowed else { continue }
            what = "\(purpose.code) request to \(one.id) and \(two.id)"
            let request = try world.build(.request, from: from.sender, to: [one.id, two.id], purpose: purpose, basis: basis)
            let requestID = try await world.send(request, as: from.sender, what)
            for person in [one, two] { try await world.read(requestID, as: person, from: from.sender, what) }
            let oneBasis = world.basis(for: purpose, senderKind: one.id.agency.rawValue.replacingOccurrences(of: "k-", with: "")) ?? nil
            let answer = try world.build(.share, from: one, to: [from.sender.id], purpose: purpose, basis: oneBasis ?? basis, inReplyTo: requestID)
            let answered = try await world.relay.send(answer, as: one)
            #expect(answered.status == .created, "\(what): the answer goes back to the requester whatever their kind: \(answered.text)")
            let decline = try world.build(.decline, from: two, to: [from.sender.id], purpose: purpose, basis: nil, inReplyTo: requestID)
            #expect(try await world.relay.send(decline, as: two).status == .created, "\(what): a second answer is accepted too")
            let states = try await world.relay.status(requestID, as: from.sender).recipients.map(\.state)
            #expect(states == [one, two].sorted { $0.id < $1.id }.map { $0.id == one.id ? "answered" : "declined" }, "\(what): \(states)")
        }
    }
}
