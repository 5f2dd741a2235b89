import Foundation
import ISRAudit
import ISRPacket

extension SQLRelayStore {
    public func insertInvitations(_ invitations: [Invitation], events: [AuditEvent]) async throws -> UInt64 {
        guard !invitations.isEmpty, invitations.count == events.count else {
            throw StoreError(.invalidTransition, "each invitation needs its audit event")
        }
        return try await write { db in
            var last: UInt64 = 0
            for (invitation, event) in zip(invitations, events) {
                try Self.refuseRoleAddress(invitation.member, db)
                let status = try db.value(String.self, "SELECT status FROM members WHERE id = ?", [invitation.member.rawValue])
                guard status != Member.Status.active.rawValue else {
                    throw StoreError(.alreadyExists, "\(invitation.member) is already enrolled and active; to give them new keys, reset them first")
                }
                guard try db.value(String.self, "SELECT status FROM agencies WHERE id = ?", [invitation.member.agency.rawValue])
                        == Agency.Status.active.rawValue else {
                    throw StoreError(.notFound, "agency \(invitation.member.agency) is not registered and active; add it before inviting its staff")
                }
                try db.perform("UPDATE invitations SET state = 'withdrawn' WHERE member = ? AND state IN ('open', 'submitted')", [invitation.member.rawValue])
                try db.perform("""
                    INSERT INTO invitations (code_hash, member, display_name, role, invited_by, created_at, expires_at, state)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'open')
                    """, [Data(invitation.codeHash), invitation.member.rawValue, invitation.displayName, invitation.role.rawValue,
                                             invitation.invitedBy.rawValue, invitation.createdAt, invitation.expiresAt])
                last = try Self.append(event, db)
            }
            return last
        }
    }

    public func invitation(codeHash: [UInt8]) async throws -> Invitation? {
        try await read { db in
            try db.row("SELECT * FROM invitations WHERE code_hash = ?", [Data(codeHash)]).map(Self.invitation)
        }
    }

    public func invitations(in states: [Invitation.State]) async throws -> [Invitation] {
        try await read { db in
            try db.rows("SELECT * FROM invitations WHERE state IN (\(Self.sql(states))) ORDER BY created_at, member")
                .map(Self.invitation)
        }
    }

    public func submitInvitation(codeHash: [UInt8], submission: Invitation.Submission, now: Int64, event: AuditEvent) async throws -> UInt64 {
        try await write { db in
            let changed = try db.execute("""
                UPDATE invitations SET state = 'submitted', certificate_request = ?, signing_key = ?, encryption_key = ?, proof = ?, submitted_at = ?
                WHERE code_hash = ? AND state = 'open' AND expires_at > ?
                """, [submission.certificateRequest, Data(submission.signingKey), Data(submission.encryptionKey), Data(submission.proof),
                                         submission.submittedAt, Data(codeHash), now])
            guard changed == 1 else { throw StoreError(.invalidTransition, "the invitation is not open, or has expired") }
            return try Self.append(event, db)
        }
    }

    public func approveInvitation(codeHash: [UInt8], member: Member, approvedBy: MemberID, certificate: String, event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            let changed = try db.execute("""
                UPDATE invitations SET state = 'approved', approved_by = ?, approved_at = ?, certificate = ?
                WHERE code_hash = ? AND state = 'submitted' AND purpose = 'enrol' AND member = ? AND signing_key = ? AND encryption_key = ?
                """, [approvedBy.rawValue, member.enrolledAt, certificate, Data(codeHash), member.id.rawValue,
                                         Data(member.signingKey), Data(member.encryptionKey)])
            guard changed == 1 else { throw StoreError(.invalidTransition, "no submitted invitation for \(member.id) with these keys") }
            let status = try db.value(String.self, "SELECT status FROM members WHERE id = ?", [member.id.rawValue])
            switch status {
            case nil:
                try Self.insertMemberRow(member, db)
            case Member.Status.revoked.rawValue?:
                // Re-enrolment under the same id: the member keeps their history and gets new keys and a new certificate.
                // Every key they held before stays on record as revoked, so what they signed with it still verifies.
                try Self.retirePrimary(member.id, as: .revoked, at: member.enrolledAt, db)
                try db.perform("UPDATE member_keys SET state = 'revoked', ended_at = ? WHERE member_id = ? AND state = 'active'", [member.enrolledAt, member.id.rawValue])
                try db.perform("""
                    UPDATE members SET display_name = ?, role = ?, signing_key = ?, encryption_key = ?, certificate_fingerprint = ?, status = 'active',
                    directory_entry = ?, enrolled_at = ?, certificate_expires_at = ?, device = ?, keys_since = NULL WHERE id = ?
                    """, [member.displayName, member.role.rawValue, Data(member.signingKey), Data(member.encryptionKey),
                                             member.certificateFingerprint, member.directoryEntry.map { Data($0) }, member.enrolledAt,
                                             member.certificateExpiresAt, member.device, member.id.rawValue])
            default:
                throw StoreError(.alreadyExists, "member \(member.id) is already enrolled and active")
            }
            return try Self.append(event, db)
        }
    }

    public func insertKeyInvitation(_ invitation: Invitation, event: AuditEvent) async throws -> UInt64 {
        guard invitation.purpose != .enrol else { throw StoreError(.invalidTransition, "an enrolment invitation is made by an admin") }
        return try await write { db in
            let status = try db.value(String.self, "SELECT status FROM members WHERE id = ?", [invitation.member.rawValue])
            guard status == Member.Status.active.rawValue else { throw StoreError(.notFound, "\(invitation.member) is not an active member") }
            let primary = try db.value(String.self, "SELECT device FROM members WHERE id = ?", [invitation.member.rawValue])
            let active = try db.values(String.self, "SELECT device FROM member_keys WHERE member_id = ? AND state = 'active'", [invitation.member.rawValue]) + [primary].compactMap { $0 }
            switch invitation.purpose {
            case .device:
                guard !active.contains(invitation.device) else {
                    throw StoreError(.alreadyExists, "\(invitation.member) already has an active device `\(invitation.device)`; choose another name")
                }
                guard active.count < MemberKey.maximumActiveDevices else {
                    throw StoreError(.invalidTransition, "\(invitation.member) already has \(MemberKey.maximumActiveDevices) active devices; revoke one first")
                }
            case .rekey, .enrol:
                guard active.contains(invitation.device) else { throw StoreError(.notFound, "\(invitation.member) has no active device `\(invitation.device)`") }
            }
            guard try db.value(Bool.self, "SELECT 1 FROM invitations WHERE member = ? AND device = ? AND state = 'approved'", [invitation.member.rawValue, invitation.device]) == nil else {
                throw StoreError(.alreadyExists, "new keys for `\(invitation.device)` were approved but not yet installed; finish that first (`isr rekey` or `isr device add` on that device)")
            }
            try db.perform("UPDATE invitations SET state = 'withdrawn' WHERE member = ? AND device = ? AND state IN ('open', 'submitted')", [invitation.member.rawValue, invitation.device])
            try db.perform("""
                INSERT INTO invitations (code_hash, member, display_name, role, invited_by, created_at, expires_at, state, purpose, device)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)
                """, [Data(invitation.codeHash), invitation.member.rawValue, invitation.displayName, invitation.role.rawValue,
                                         invitation.invitedBy.rawValue, invitation.createdAt, invitation.expiresAt, invitation.purpose.rawValue, invitation.device])
            return try Self.append(event, db)
        }
    }

    public func approveKeyInvitation(codeHash: [UInt8], member id: MemberID, key: MemberKey, approvedBy: MemberID, certificate: String,
                                     event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            let purpose = try db.value(String.self, """
                SELECT purpose FROM invitations WHERE code_hash = ? AND state = 'submitted' AND member = ? AND device = ? AND signing_key = ? AND encryption_key = ?
                """, [Data(codeHash), id.rawValue, key.device, Data(key.signingKey), Data(key.encryptionKey)]).flatMap(Invitation.Purpose.init)
            guard let purpose, purpose != .enrol else { throw StoreError(.invalidTransition, "no submitted device or re-key request for \(id) with these keys") }
            try db.perform("UPDATE invitations SET state = 'approved', approved_by = ?, approved_at = ?, certificate = ? WHERE code_hash = ?", [approvedBy.rawValue, key.createdAt, certificate, Data(codeHash)])
            guard let row = try db.row("SELECT status, device FROM members WHERE id = ?", [id.rawValue]),
                  try row.decode(String.self, forColumn: "status") == Member.Status.active.rawValue else {
                throw StoreError(.notFound, "\(id) is not an active member")
            }
            let primary = try row.decode(String.self, forColumn: "device")
            switch purpose {
            case .rekey where key.device == primary:
                try Self.retirePrimary(id, as: .retired, at: key.createdAt, db)
                try db.perform("""
                    UPDATE members SET signing_key = ?, encryption_key = ?, certificate_fingerprint = ?, certificate_expires_at = ?, directory_entry = ?,
                    keys_since = ? WHERE id = ?
                    """, [Data(key.signingKey), Data(key.encryptionKey), key.certificateFingerprint, key.certificateExpiresAt,
                                             key.directoryEntry.map { Data($0) }, key.createdAt, id.rawValue])
            case .rekey:
                let changed = try db.execute("UPDATE member_keys SET state = 'retired', ended_at = ? WHERE member_id = ? AND device = ? AND state = 'active'", [key.createdAt, id.rawValue, key.device])
                guard changed == 1 else { throw StoreError(.notFound, "\(id) has no active device `\(key.device)` to re-key") }
                try Self.insertKeyRow(id, key, db)
            case .device, .enrol:
                let active = try db.value(Int.self, "SELECT count(*) FROM member_keys WHERE member_id = ? AND state = 'active'", [id.rawValue]) ?? 0
                guard key.device != primary, active + 1 < MemberKey.maximumActiveDevices else {
                    throw StoreError(.alreadyExists, "\(id) already has a device `\(key.device)` or \(MemberKey.maximumActiveDevices) active devices")
                }
                try Self.insertKeyRow(id, key, db)
            }
            return try Self.append(event, db)
        }
    }

    public func revokeDevice(_ id: MemberID, device: String, at now: Int64, reason: String, event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            guard let row = try db.row("SELECT status, device FROM members WHERE id = ?", [id.rawValue]),
                  try row.decode(String.self, forColumn: "status") == Member.Status.active.rawValue else {
                throw StoreError(.notFound, "\(id) is not an active member")
            }
            if try row.decode(String.self, forColumn: "device") == device {
                // The primary device goes: the newest other active device takes its place in the member's row.
                guard let successor = try db.row("""
                    SELECT * FROM member_keys WHERE member_id = ? AND state = 'active' ORDER BY created_at DESC, device LIMIT 1
                    """, [id.rawValue]).map(Self.memberKey) else {
                    throw StoreError(.invalidTransition, "`\(device)` is \(id)'s only active device; an admin resets the member instead (`isr admin member reset`)")
                }
                try Self.retirePrimary(id, as: .revoked, at: now, db)
                try db.perform("DELETE FROM member_keys WHERE member_id = ? AND signing_key = ?", [id.rawValue, Data(successor.signingKey)])
                try db.perform("""
                    UPDATE members SET signing_key = ?, encryption_key = ?, certificate_fingerprint = ?, certificate_expires_at = ?, directory_entry = ?, device = ?,
                    keys_since = ? WHERE id = ?
                    """, [Data(successor.signingKey), Data(successor.encryptionKey), successor.certificateFingerprint,
                                             successor.certificateExpiresAt, successor.directoryEntry.map { Data($0) }, successor.device, successor.createdAt, id.rawValue])
            } else {
                let changed = try db.execute("UPDATE member_keys SET state = 'revoked', ended_at = ? WHERE member_id = ? AND device = ? AND state = 'active'", [now, id.rawValue, device])
                guard changed == 1 else { throw StoreError(.notFound, "\(id) has no active device `\(device)`") }
            }
            let index = try Self.append(event, db)
            try Self.keepReason(RevocationReason(leafIndex: index, member: id, device: device, reason: reason, at: now, by: event.actor), db)
            return index
        }
    }

    /// Copies the member row's current keys into the key history as `state` (before the row takes new ones).
    static func retirePrimary(_ id: MemberID, as state: MemberKey.State, at now: Int64, _ db: any SQLSession) throws {
        try db.perform("""
            INSERT INTO member_keys (member_id, device, signing_key, encryption_key, certificate_fingerprint, certificate_expires_at, directory_entry,
                                               state, created_at, ended_at)
            SELECT id, device, signing_key, encryption_key, NULL, certificate_expires_at, directory_entry, ?, coalesce(keys_since, enrolled_at), ?
            FROM members WHERE id = ?
            ON CONFLICT DO NOTHING
            """, [state.rawValue, now, id.rawValue])
    }

    public func collectInvitation(codeHash: [UInt8]) async throws {
        _ = try await write { db in
            try db.perform("UPDATE invitations SET state = 'collected' WHERE code_hash = ? AND state = 'approved'", [Data(codeHash)])
        }
    }

    static func invitation(_ row: SQLRow) throws -> Invitation {
        guard let state = Invitation.State(rawValue: try row.decode(String.self, forColumn: "state")),
              let role = Member.Role(rawValue: try row.decode(String.self, forColumn: "role")),
              let purpose = Invitation.Purpose(rawValue: try row.decode(String.self, forColumn: "purpose")) else {
            throw StoreError(.corrupt, "an invitation row has an unknown state, role or purpose")
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
                          approvedAt: try row.decode(Int64?.self, forColumn: "approved_at"), certificate: try row.decode(String?.self, forColumn: "certificate"),
                          purpose: purpose, device: try row.decode(String.self, forColumn: "device"))
    }
}
