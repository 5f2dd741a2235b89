import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

struct MemberCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member", abstract: "Invite, approve, enrol, list, change or revoke members.",
        subcommands: [Invite.self, Pending.self, Approve.self, Add.self, List.self, Role.self, Revoke.self, Revocations.self, Reset.self])

    /// A lost device or forgotten passphrase: the member's keys are revoked and a new invitation lets them enrol again
    /// under the same id, keeping their history.
    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a member's lost keys and invite them to enrol again under the same id (prints the new code).")
        @Argument(help: "The member id.") var id: String
        @Option(help: "Why (recorded in the audit log), e.g. laptop stolen on 3 March.") var reason: String
        @Option(help: "How long the new code works: e.g. 7d or 48h.") var expires = "7d"
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let lifetime = try Invite.seconds(expires)
            let (member, invited) = try await withSession(global) { session in
                let current = try await session.client.get("/v1/directory/\(id)").decode(DirectoryMember.self)
                if current.status == "active" { _ = try await session.revoke(member: id, reason: "reset: " + reason) }
                guard let invited = try await session.invite([(current.id, current.displayName, current.role)], lifetime: lifetime).first else {
                    throw ClientError(.refused, "the relay recorded no invitation")
                }
                return (current, invited)
            }
            Terminal.emit(invited, json: global.json, human: """
                Reset \(member.id): their old keys are revoked. Give them this code (it works once, until \(Invite.date(invited.expiresAt))):
                  \(invited.code)
                They run `isr enrol --code …` on their new machine; approve them with `isr admin member approve \(member.id)`.
                Packets sealed only to the lost keys cannot be opened; their senders see them in `isr status --resend-needed`.
                """)
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invite one member (ID --name --role) or a staff list (--csv FILE --out CODES): prints or writes one-time codes.",
            discussion: "Codes are made here; the relay stores only their SHA-256. Hand each code to its person by a channel you trust.")
        @Argument(help: "The member id to invite, name@agency.") var id: String?
        @Option(help: "Their name as colleagues will see it.") var name: String?
        @Option(help: "practitioner, dsl, manager, agency-admin, admin or auditor.") var role: String?
        @Option(help: "A CSV staff list with the columns id,name,role.") var csv: String?
        @Option(help: "With --csv: where to write id,name,role,code,expires (mode 0600).") var out: String?
        @Option(help: "How long each code works: e.g. 7d or 48h (1 hour to 30 days).") var expires = "7d"
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if csv != nil {
                guard id == nil, name == nil, role == nil, out != nil else { throw ValidationError("--csv FILE needs --out CODES_FILE, and no ID, --name or --role") }
            } else {
                guard id != nil, name != nil, role != nil else { throw ValidationError("give ID --name N --role R, or --csv FILE --out CODES_FILE") }
            }
        }

        func run() async throws {
            let lifetime = try Self.seconds(expires)
            var people: [StaffList.Person] = []
            if let csv {
                let text = try global.isrHome.text(csv, missing: "cannot read the staff list \(csv)")
                people = try StaffList(csv: text).people
            } else if let id, let name, let role {
                people = try StaffList(csv: "id,name,role\n\(StaffList.field(id)),\(StaffList.field(name)),\(StaffList.field(role))\n").people
            }
            let (invited, admin): ([Session.Invited], MemberID) = try await withSession(global) { session in
                (try await session.invite(people.map { ($0.id.rawValue, $0.name, $0.role) }, lifetime: lifetime), session.me)
            }
            if let out {
                let lines = ["id,name,role,code,expires"] + invited.map {
                    [$0.member, $0.name, $0.role, $0.code, Self.date($0.expiresAt)].map(StaffList.field).joined(separator: ",")
                }
                do { try AtomicFile.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: out, mode: 0o600) } catch { throw ClientError(.local, error.message) }
                Terminal.emit(invited.map { ["member": $0.member] }, json: global.json, human: """
                    Invited \(invited.count) people; their codes are in \(out) (readable only by you). Give each person their own code, then
                    approve them with `isr admin member pending` and `isr admin member approve ID…` once they have run `isr enrol --code`.
                    """)
            } else if let one = invited.first {
                Terminal.emit(one, json: global.json, human: """
                    Invited \(one.member) (\(one.name)) as \(one.role) on behalf of \(admin); the code works once, until \(Self.date(one.expiresAt)):
                      \(one.code)
                    They run: isr enrol --code \(one.code) --relay URL --ca CA_PEM
                    """)
            }
        }

        static func seconds(_ text: String) throws(ClientError) -> Int64 {
            Int64(try periodSeconds(text, flag: "--expires", units: ["d": 86_400, "h": 3600], kinds: "days or hours", example: "7d or 48h",
                                    range: 3600...(30 * 86_400), bounds: "1h to 30d"))
        }

        static func date(_ milliseconds: Int64) -> String {
            ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000))
        }
    }

    /// Revocation reasons are kept for admins beside the log, which binds each by its SHA-256 (auditors read the log).
    struct Revocations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List why members and devices were revoked (admins; an agency admin sees their own agency's).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let revocations = try await withSession(global) { session in try await session.revocations() }
            Terminal.emit(revocations, json: global.json, human: revocations.isEmpty ? "No member or device has been revoked." : Terminal.table(
                ["WHEN", "MEMBER", "DEVICE", "BY", "REASON", "LEAF"],
                revocations.map { [Invite.date($0.revokedAt), $0.member, $0.device ?? "(member)", $0.revokedBy, $0.reason, String($0.leafIndex)] }))
        }
    }

    /// Submitted enrolments, each checked here: the proof verified and the fingerprint computed from the keys.
    struct Pending: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List enrolments waiting for approval, with the fingerprint computed from their keys.")
        @OptionGroup var global: GlobalOptions

        struct Entry: Encodable {
            let member: String
            let name: String
            let role: String
            /// `enrol`, `device` (another device of an enrolled member) or `rekey` (new keys for one of their devices).
            let purpose: String
            let device: String
            let fingerprint: String?
            let verified: Bool
            let submittedAt: Int64?
        }

        func run() async throws {
            let pending = try await withSession(global) { session in try await session.pendingRequests() }
            let entries = pending.map { request in
                let invitation = request.invitation
                return Entry(member: invitation.member, name: invitation.displayName, role: invitation.role, purpose: invitation.purpose ?? "enrol",
                             device: invitation.device ?? "primary", fingerprint: request.keys?.fingerprint.description, verified: request.keys != nil,
                             submittedAt: invitation.submittedAt)
            }
            Terminal.emit(entries, json: global.json, human: entries.isEmpty ? "No enrolment is waiting for approval." : Terminal.table(
                ["MEMBER", "NAME", "ROLE", "REQUEST", "FINGERPRINT"],
                zip(entries, pending).map { entry, request in
                    [entry.member, entry.name, entry.role, request.what, entry.fingerprint ?? "INVALID REQUEST - do not approve"]
                }) + """

                Call each person, have them read the fingerprint their `isr enrol --code` showed, and compare; then
                `isr admin member approve ID…`.
                """)
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve submitted enrolments: signs each directory entry for the keys whose fingerprint you compared.")
        @Argument(help: "Member ids to approve.") var ids: [String] = []
        @Flag(help: "Approve every submitted enrolment.") var all = false
        @OptionGroup var global: GlobalOptions

        struct Approved: Encodable {
            let member: String
            let request: String
            let fingerprint: String
        }

        func validate() throws {
            guard all != !ids.isEmpty else { throw ValidationError("name the members to approve, or --all") }
        }

        func run() async throws {
            let approved: [Approved] = try await withSession(global) { session in
                let submitted = try await session.pendingRequests()
                // A member may have several requests waiting (an enrolment, new devices, a re-key): each is approved on its own.
                let byID = Dictionary(grouping: submitted, by: \.invitation.member)
                let chosen = all ? Array(Set(submitted.map(\.invitation.member))).sorted() : ids
                let missing = chosen.filter { byID[$0] == nil }
                guard missing.isEmpty else {
                    throw ClientError(.refused, "no enrolment is waiting from \(missing.joined(separator: ", ")); see `isr admin member pending`")
                }
                var done: [Approved] = []
                for id in chosen {
                    for request in byID[id] ?? [] {
                        let keys = try await session.approve(request)
                        done.append(Approved(member: id, request: request.what, fingerprint: keys.fingerprint.description))
                    }
                }
                return done
            }
            Terminal.emit(approved, json: global.json, human: approved.map { "Approved \($0.member): \($0.request) (fingerprint \($0.fingerprint))." }.joined(separator: "\n")
                + "\nEach can now run `isr enrol --code …` (`isr device add`, `isr rekey`) again to install their certificate.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List members (all, or one agency's), with role, status and fingerprint.")
        @Option(help: "Only this agency's members.") var agency: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let members = try await withSession(global) { session in
                try await session.client.get("/v1/directory").decode(ListBody<DirectoryMember>.self).items
            }.filter { agency == nil || $0.agency == agency }
            Terminal.emit(members, json: global.json, human: Terminal.table(
                ["MEMBER", "NAME", "ROLE", "AGENCY", "STATUS", "FINGERPRINT"],
                members.map { [$0.id, $0.displayName, $0.role, $0.agency, $0.status, $0.fingerprint] }))
        }
    }

    struct Role: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a member's role (to or from admin or agency-admin, their directory entry is re-signed with the new authority).")
        @Argument(help: "The member id.") var id: String
        @Argument(help: "practitioner, dsl, manager, agency-admin, admin or auditor.") var role: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let member = try await withSession(global) { session in
                let current = try await session.client.get("/v1/directory/\(id)").decode(DirectoryMember.self)
                var entry: String?
                if ["admin", "agency-admin"].contains(role) || ["admin", "agency-admin"].contains(current.role) {
                    // Re-sign for exactly the keys the directory verifiably holds for them.
                    let directory = try await VerifiedDirectory.load(session.client, trust: session.trust)
                    guard let memberID = try? MemberID(id), let verified = directory.members[memberID] else {
                        throw ClientError(.verification, "\(id)'s directory entry does not verify against your pinned admin key; do not change their role")
                    }
                    let agencies = try await session.client.get("/v1/agencies").decode(ListBody<AgencyBody>.self).items
                    entry = Data(try session.signedEntry(member: memberID, displayName: verified.displayName, signingKey: verified.signingKey,
                                                         encryptionKey: verified.encryptionKey, role: role, agencies: agencies)).base64EncodedString()
                }
                return try await session.client.post("/v1/admin/members/\(id)/role", json: RoleChangeRequest(role: role, directoryEntry: entry))
                    .decode(DirectoryMember.self)
            }
            Terminal.emit(member, json: global.json, human: "\(member.id) is now \(member.role).")
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enrol a member from their request file; writes the enrolment file to hand back.")
        @Argument(help: "The request file from the member's `isr keygen`.") var requestFile: String
        @Option(help: "practitioner, dsl, manager or admin.") var role: String
        @Option(help: "Where to write the enrolment file.") var out: String
        @OptionGroup var global: GlobalOptions

        struct Result: Encodable {
            let member: String
            let role: String
            let enrolmentFile: String
            let fingerprint: String
        }

        func run() async throws {
            let request = try ClientDocuments.read(CertificateRequestFile.self, from: requestFile, what: "request file")
            // The fingerprint shown is computed here from the keys about to be signed, never read from the file.
            let keys = try request.verified(file: requestFile)
            let member = keys.member
            let home = global.isrHome
            let config = try home.config()
            let adminId = try MemberID(config.member)
            let caPEM = try home.text(home.caPath, missing: "no CA in \(home.path)")
            let enrolment: Enrolment = try await withSession(global) { session in
                let agencies = try await session.client.get("/v1/agencies").decode(ListBody<AgencyBody>.self).items
                let entry = try session.signedEntry(member: keys.member, displayName: request.displayName, signingKey: keys.signingKey,
                                                    encryptionKey: keys.encryptionKey, role: role, agencies: agencies)
                return try await session.client.post("/v1/admin/members", json: EnrolmentRequest(
                    certificateRequest: request.certificateRequest, displayName: request.displayName, role: role, signingKey: request.signingKey,
                    encryptionKey: request.encryptionKey, directoryEntry: Data(entry).base64EncodedString(), proof: request.proof)).decode(Enrolment.self)
            }
            let identity = try IdentityFile.load(from: home.identityPath)
            try ClientDocuments.write(EnrolmentFile(member: member.rawValue, certificate: enrolment.certificate, caCertificate: caPEM, relayUrl: config.relayUrl,
                                                    adminId: adminId.rawValue, adminKey: Data(identity.signingPublicKey.bytes).base64EncodedString(),
                                                    directoryEntry: enrolment.member.directoryEntry ?? ""), to: out)
            Terminal.emit(Result(member: member.rawValue, role: role, enrolmentFile: out, fingerprint: keys.fingerprint.description), json: global.json, human: """
                Enrolled \(member) (\(request.displayName)) as \(role). Hand them \(out).
                Before you do, read them this fingerprint by phone and check it is the one their `isr keygen` showed:
                  \(keys.fingerprint)
                """)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a member: their certificate is refused from now on.")
        @Argument(help: "The member id.") var id: String
        @Option(help: "Why (recorded in the audit log).") var reason: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let member = try await withSession(global) { session in try await session.revoke(member: id, reason: reason) }
            Terminal.emit(member, json: global.json, human: "Revoked \(member.id); their certificate is refused from now on.")
        }
    }
}
