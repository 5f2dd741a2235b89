import Foundation
import GRDB
import ISRAudit
import ISRPacket

extension SQLiteRelayStore {
    public func insertInvitations(_ invitations: [Invitation], events: [AuditEvent]) async throws -> UInt64 {
        guard !invitations.isEmpty, invitations.count == events.count else {
            throw StoreError(.invalidTransition, "each invitation needs its audit event")
        }
        return try await write { db in
            var last: UInt64 = 0
            for (invitation, event) in zip(invitations, events) {
                let status = try String.fetchOne(db.cachedStatement(sql: "SELECT status FROM members WHERE id = ?"), arguments: [invitation.member.rawValue])
                guard status != Member.Status.active.rawValue else {
                    throw StoreError(.alreadyExists, "\(invitation.member) is already enrolled and active; to give them new keys, reset them first")
                }
                guard try String.fetchOne(db.cachedStatement(sql: "SELECT status FROM agencies WHERE id = ?"), arguments: [invitation.member.agency.rawValue])
                        == Agency.Status.active.rawValue else {
                    throw StoreError(.notFound, "agency \(invitation.member.agency) is not registered and active; add it before inviting its staff")
                }
                try db.cachedStatement(sql: "UPDATE invitations SET state = 'withdrawn' WHERE member = ? AND state IN ('open', 'submitted')")
                    .execute(arguments: [invitation.member.rawValue])
                try db.cachedStatement(sql: """
                    INSERT INTO invitations (code_hash, member, display_name, role, invited_by, created_at, expires_at, state)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'open')
                    """).execute(arguments: [Data(invitation.codeHash), invitation.member.rawValue, invitation.displayName, invitation.role.rawValue,
                                             invitation.invitedBy.rawValue, invitation.createdAt, invitation.expiresAt])
                last = try Self.append(event, db)
            }
            return last
        }
    }

    public func invitation(codeHash: [UInt8]) async throws -> Invitation? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM invitations WHERE code_hash = ?"), arguments: [Data(codeHash)]).map(Self.invitation)
        }
    }

    public func invitations(in states: [Invitation.State]) async throws -> [Invitation] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM invitations WHERE state IN (\(Self.sql(states))) ORDER BY created_at, member")
                .map(Self.invitation)
        }
    }

    public func submitInvitation(codeHash: [UInt8], submission: Invitation.Submission, now: Int64, event: AuditEvent) async throws -> UInt64 {
        try await write { db in
            try db.cachedStatement(sql: """
                UPDATE invitations SET state = 'submitted', certificate_request = ?, signing_key = ?, encryption_key = ?, proof = ?, submitted_at = ?
                WHERE code_hash = ? AND state = 'open' AND expires_at > ?
                """).execute(arguments: [submission.certificateRequest, Data(submission.signingKey), Data(submission.encryptionKey), Data(submission.proof),
                                         submission.submittedAt, Data(codeHash), now])
            guard db.changesCount == 1 else { throw StoreError(.invalidTransition, "the invitation is not open, or has expired") }
            return try Self.append(event, db)
        }
    }

    public func approveInvitation(codeHash: [UInt8], member: Member, approvedBy: MemberID, certificate: String, event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            try db.cachedStatement(sql: """
                UPDATE invitations SET state = 'approved', approved_by = ?, approved_at = ?, certificate = ?
                WHERE code_hash = ? AND state = 'submitted' AND member = ? AND signing_key = ? AND encryption_key = ?
                """).execute(arguments: [approvedBy.rawValue, member.enrolledAt, certificate, Data(codeHash), member.id.rawValue,
                                         Data(member.signingKey), Data(member.encryptionKey)])
            guard db.changesCount == 1 else { throw StoreError(.invalidTransition, "no submitted invitation for \(member.id) with these keys") }
            let status = try String.fetchOne(db.cachedStatement(sql: "SELECT status FROM members WHERE id = ?"), arguments: [member.id.rawValue])
            switch status {
            case nil:
                try Self.insertMemberRow(member, db)
            case Member.Status.revoked.rawValue?:
                // Re-enrolment under the same id: the member keeps their history and gets new keys and a new certificate.
                try db.cachedStatement(sql: """
                    UPDATE members SET display_name = ?, role = ?, signing_key = ?, encryption_key = ?, certificate_fingerprint = ?, status = 'active',
                    directory_entry = ?, enrolled_at = ?, certificate_expires_at = ? WHERE id = ?
                    """).execute(arguments: [member.displayName, member.role.rawValue, Data(member.signingKey), Data(member.encryptionKey),
                                             member.certificateFingerprint, member.directoryEntry.map { Data($0) }, member.enrolledAt,
                                             member.certificateExpiresAt, member.id.rawValue])
            default:
                throw StoreError(.alreadyExists, "member \(member.id) is already enrolled and active")
            }
            return try Self.append(event, db)
        }
    }

    public func collectInvitation(codeHash: [UInt8]) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE invitations SET state = 'collected' WHERE code_hash = ? AND state = 'approved'").execute(arguments: [Data(codeHash)])
        }
    }

    static func invitation(_ row: Row) throws -> Invitation {
        guard let state = Invitation.State(rawValue: try row.decode(String.self, forColumn: "state")),
              let role = Member.Role(rawValue: try row.decode(String.self, forColumn: "role")) else {
            throw StoreError(.corrupt, "an invitation row has an unknown state or role")
        }
        var submission: Invitation.Submission?
        if let request = try row.decode(String?.self, forColumn: "certificate_request") {
            submission = Invitation.Submission(certificateRequest: request, signingKey: Array(try row.decode(Data.self, forColumn: "signing_key")),
                                               encryptionKey: Array(try row.decode(Data.self, forColumn: "encryption_key")),
                                               proof: Array(try row.decode(Data.self, forColumn: "proof")),
                                               submittedAt: try row.decode(Int64.self, forColumn: "submitted_at"))
        }
        return Invitation(codeHash: Array(try row.decode(Data.self, forColumn: "code_hash")), member: try MemberID(row.decode(String.self, forColumn: "member")),
                          displayName: try row.decode(String.self, forColumn: "display_name"), role: role,
                          invitedBy: try MemberID(row.decode(String.self, forColumn: "invited_by")), createdAt: try row.decode(Int64.self, forColumn: "created_at"),
                          expiresAt: try row.decode(Int64.self, forColumn: "expires_at"), state: state, submission: submission,
                          approvedBy: try row.decode(String?.self, forColumn: "approved_by").map { try MemberID($0) },
                          approvedAt: try row.decode(Int64?.self, forColumn: "approved_at"), certificate: try row.decode(String?.self, forColumn: "certificate"))
    }
}
