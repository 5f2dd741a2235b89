import Foundation
import ISRCrypto
import ISRLifecycle
import ISRPacket
import ISRRelayAPI
import ISRPolicy
import ISRRelay
import Testing

/// Builds and opens real packets the way the CLI will: recipients' keys come from the relay's directory.
extension RelayEndpoint {
    func keys(for addresses: [MemberID], as person: Person) async throws -> [MemberID: [MemberID: EncryptionPublicKey]] {
        let directory = try await request(person, .get, "/v1/directory").json(ListBody<DirectoryMember>.self).items
        func key(_ id: MemberID) throws -> EncryptionPublicKey {
            let entry = try #require(directory.first { $0.id == id.rawValue }, "\(id) in the directory")
            return try EncryptionPublicKey(bytes: try #require(Data(base64Encoded: entry.encryptionKey)))
        }
        var map: [MemberID: [MemberID: EncryptionPublicKey]] = [:]
        for address in addresses {
            let role = try await request(person, .get, "/v1/roles/\(address.rawValue)")
            if role.status == .ok {
                let members = try role.json(ListBody<String>.self).items.map { try MemberID($0) }
                map[address] = Dictionary(uniqueKeysWithValues: try members.filter { id in
                    directory.first { $0.id == id.rawValue }?.status == "active"
                }.map { ($0, try key($0)) })
            } else {
                map[address] = [address: try key(address)]
            }
        }
        return map
    }

    func signingKey(of id: MemberID, as person: Person) async throws -> SigningPublicKey {
        let entry = try await request(person, .get, "/v1/directory/\(id.rawValue)").json(DirectoryMember.self)
        return try SigningPublicKey(bytes: try #require(Data(base64Encoded: entry.signingKey)))
    }

    /// A packet from `sender` that obeys the shipped policy unless the caller changes it.
    func build(_ kind: PacketKind, from sender: Person, to recipients: [MemberID], purpose: String = "child-in-need", basis: String? = "public-task",
               consent: ConsentStatus? = nil, urgency: Urgency = .routine, body: PacketBody? = nil, inReplyTo: PacketID? = nil,
               relatesTo: PacketID? = nil, id: PacketID = .random(),
               keys known: [MemberID: [MemberID: EncryptionPublicKey]]? = nil,
               deviceKeys: [MemberID: [MemberID: [EncryptionPublicKey]]]? = nil) async throws -> SealedPacket {
        let body = body ?? Self.body(for: kind, purpose: purpose)
        let header = PacketHeader(
            id: id, kind: kind, sender: sender.id, recipients: recipients, purpose: purpose,
            lawfulBasis: kind.needsLawfulBasis ? basis : nil,
            condition: kind.needsLawfulBasis ? policy.purposes[purpose].flatMap { p in p.conditions.first { policy.conditions[$0]?.consentBased != true } } : nil,
            consent: consent ?? (kind.disclosesInformation ? .refused : .notApplicable), urgency: urgency,
            createdAt: Int64(Date().timeIntervalSince1970), fieldNames: body.fieldNames,
            subjectReference: purpose == "anonymous-consultation" ? nil : "CASE-7", inReplyTo: inReplyTo, relatesTo: relatesTo,
            retentionDays: policy.purposes[purpose]?.retentionDays ?? 30)
        #expect(policy.check(header: header, body: body).isEmpty || body.statement == "deliberately off-policy", "\(policy.check(header: header, body: body))")
        let keys: [MemberID: [MemberID: EncryptionPublicKey]]
        if let known { keys = known } else { keys = try await self.keys(for: recipients, as: sender) }
        var countersigners: [MemberID: EncryptionPublicKey] = [:]
        if policy.purposes[purpose]?.countersign == true, kind.disclosesInformation, Lifecycle.isOriginal(kind, answering: inReplyTo) {
            countersigners = try await self.countersigners(of: sender)
        }
        if let deviceKeys {
            return try PacketSealer.seal(header: header, body: body, deviceKeys: deviceKeys, countersignerKeys: countersigners.mapValues { [$0] }, signer: sender.keys.signing)
        }
        return try PacketSealer.seal(header: header, body: body, keys: keys, countersigners: countersigners, signer: sender.keys.signing)
    }

    /// The active dsl/managers of `sender`'s agency, as the directory lists them: who a held packet is also sealed to.
    func countersigners(of sender: Person) async throws -> [MemberID: EncryptionPublicKey] {
        let directory = try await request(sender, .get, "/v1/directory").json(ListBody<DirectoryMember>.self).items
        var result: [MemberID: EncryptionPublicKey] = [:]
        for entry in directory where entry.agency == sender.id.agency.rawValue && ["dsl", "manager"].contains(entry.role)
            && entry.status == "active" && entry.id != sender.id.rawValue {
            result[try MemberID(entry.id)] = try EncryptionPublicKey(bytes: try #require(Data(base64Encoded: entry.encryptionKey)))
        }
        return result
    }

    /// Every page of a member's inbox.
    func inbox(of person: Person) async throws -> [InboxItem] {
        var items: [InboxItem] = []
        var before: String?
        for _ in 0..<100 {
            let page = try await request(person, .get, "/v1/inbox?limit=500" + (before.map { "&before=\($0)" } ?? "")).json(ListBody<InboxItem>.self)
            items += page.items
            guard let next = page.next else { break }
            before = next
        }
        return items
    }

    static func body(for kind: PacketKind, purpose: String) -> PacketBody {
        switch kind {
        case .share, .correction:
            let fields = purpose == "child-protection-enquiry"
                ? [SubjectField(name: "name", value: "Sam Example"), SubjectField(name: "date_of_birth", value: "2015-03-12"), SubjectField(name: "concern_category", value: "neglect")]
                : [SubjectField(name: "name", value: "Sam Example"), SubjectField(name: "date_of_birth", value: "2015-03-12")]
            return PacketBody(statement: "Attendance and presentation concerns for a child in need assessment.",
                              items: [BodyItem(tag: .fact, text: "Attendance 62% this term.", source: "school register", refersTo: "2026-11-13"),
                                      BodyItem(tag: .opinion, text: "Increasingly withdrawn.", source: "class teacher", refersTo: "2026-11-16")],
                              fields: fields, consentDetail: "Mother refused; risk of significant harm justifies sharing; agreed with the DSL.",
                              subjectInformed: false, informedReason: "Telling the family could increase the risk.")
        case .readback:
            return PacketBody(statement: "Attendance 62% is a fact; the teacher's opinion is that the child is withdrawn.", concern: .medium)
        case .request:
            return PacketBody(statement: "We are assessing a child in need and ask what the school knows about attendance.", ask: "Attendance this term")
        default:
            return PacketBody(statement: "\(kind.rawValue): reasons and notes.")
        }
    }

    func send(_ packet: SealedPacket, as person: Person) async throws -> Reply {
        try await request(person, .post, "/v1/packets", body: packet.bytes, contentType: "application/octet-stream")
    }

    /// Fetches, opens and verifies a packet as `person`, checking the sender against the directory.
    func fetchAndOpen(_ id: PacketID, as person: Person, from sender: MemberID) async throws -> OpenedPacket {
        let reply = try await request(person, .get, "/v1/packets/\(id.hex)")
        #expect(reply.status == .ok, "\(reply.text)")
        return try PacketOpener.open(reply.body, as: person.id, keys: person.keys.encryption,
                                     senderKey: try await signingKey(of: sender, as: person), expectedSender: sender)
    }

    func postReceipt(_ id: PacketID, bytes: [UInt8], as person: Person) async throws -> Reply {
        let signature = DeliveryReceipt.sign(packet: bytes, id: id, recipient: person.id, key: person.keys.signing)
        return try await json(person, .post, "/v1/packets/\(id.hex)/receipt", ["signature": Data(signature).base64EncodedString()])
    }

    func status(_ id: PacketID, as person: Person) async throws -> PacketStatus {
        try await request(person, .get, "/v1/packets/\(id.hex)/status").json(PacketStatus.self)
    }

    /// A share from `sender` that `recipient` has fetched and read back: the usual start of a lifecycle test.
    func acknowledgedShare(from sender: Person, to recipient: Person) async throws -> (id: PacketID, packet: SealedPacket) {
        let share = try await build(.share, from: sender, to: [recipient.id])
        let id = try PacketHeader(derEncoded: share.headerBytes).id
        #expect(try await send(share, as: sender).status == .created)
        _ = try await fetchAndOpen(id, as: recipient, from: sender.id)
        #expect(try await send(try await build(.readback, from: recipient, to: [sender.id], inReplyTo: id), as: recipient).status == .created)
        return (id, share)
    }

    /// Two agencies' practitioners, a DSL, a duty role: the cast most tests need.
    func standardCast() async throws -> (alice: Person, dsl: Person, bob: Person, carol: Person) {
        try await addAgency("school-a", kind: "school")
        try await addAgency("devon-csc", kind: "childrens-social-care")
        let alice = try await enrol("alice@school-a")
        let dsl = try await enrol("dina@school-a", role: "dsl")
        let bob = try await enrol("bob@devon-csc")
        let carol = try await enrol("carol@devon-csc")
        let role = try await json(admin, .put, "/v1/admin/roles/duty@devon-csc", ["members": ["bob@devon-csc", "carol@devon-csc"]])
        #expect(role.status == .ok, "\(role.text)")
        return (alice, dsl, bob, carol)
    }
}
