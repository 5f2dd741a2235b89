import Foundation
import ISRAudit
import ISRPacket

extension SQLRelayStore {
    public func insertAgency(_ agency: Agency, event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            guard try db.value(Bool.self, "SELECT 1 FROM agencies WHERE id = ?", [agency.id.rawValue]) == nil else {
                throw StoreError(.alreadyExists, "agency \(agency.id) is already registered")
            }
            try db.perform("INSERT INTO agencies (id, name, kind, status, registered_at) VALUES (?, ?, ?, ?, ?)", [agency.id.rawValue, agency.name, agency.kind, agency.status.rawValue, agency.registeredAt])
            return try Self.append(event, db)
        }
    }

    public func updateAgencyStatus(_ id: AgencyID, to status: Agency.Status, event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            let changed = try db.execute("UPDATE agencies SET status = ? WHERE id = ?", [status.rawValue, id.rawValue])
            guard changed == 1 else { throw StoreError(.notFound, "agency \(id) is not registered") }
            return try Self.append(event, db)
        }
    }

    public func agency(_ id: AgencyID) async throws -> Agency? {
        try await registrySnapshot().agencies[id]
    }

    public func agencies() async throws -> [Agency] {
        try await read { db in try db.rows("SELECT * FROM agencies ORDER BY id").map(Self.agency) }
    }

    public func insertMember(_ member: Member, event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            guard try db.value(Bool.self, "SELECT 1 FROM members WHERE id = ?", [member.id.rawValue]) == nil else {
                throw StoreError(.alreadyExists, "member \(member.id) is already enrolled")
            }
            try Self.refuseRoleAddress(member.id, db)
            guard try db.value(Bool.self, "SELECT 1 FROM agencies WHERE id = ?", [member.agency.rawValue]) != nil else {
                throw StoreError(.notFound, "agency \(member.agency) is not registered; register it before enrolling its members")
            }
            try Self.insertMemberRow(member, db)
            return try Self.append(event, db)
        }
    }

    /// A member id may not be a role address's: a packet to it would reach the role's members instead.
    static func refuseRoleAddress(_ id: MemberID, _ db: any SQLSession) throws {
        guard try db.value(Bool.self, "SELECT 1 FROM role_members WHERE address = ? LIMIT 1", [id.rawValue]) == nil else {
            throw StoreError(.alreadyExists, "\(id) is a role address, so it cannot also be a member id; choose another id")
        }
    }

    static func insertMemberRow(_ member: Member, _ db: any SQLSession) throws {
        try db.perform("""
            INSERT INTO members (id, agency_id, display_name, role, signing_key, encryption_key, certificate_fingerprint, status, directory_entry, enrolled_at,
                                 certificate_expires_at, device)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [member.id.rawValue, member.agency.rawValue, member.displayName, member.role.rawValue, Data(member.signingKey),
                             Data(member.encryptionKey), member.certificateFingerprint, member.status.rawValue,
                             member.directoryEntry.map { Data($0) }, member.enrolledAt, member.certificateExpiresAt, member.device])
    }

    public func updateMember(_ id: MemberID, status: Member.Status?, role: Member.Role?, directoryEntry: [UInt8]?, event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            guard try db.value(Bool.self, "SELECT 1 FROM members WHERE id = ?", [id.rawValue]) != nil else {
                throw StoreError(.notFound, "member \(id) is not enrolled")
            }
            if let status { try db.execute("UPDATE members SET status = ? WHERE id = ?", [status.rawValue, id.rawValue]) }
            if let role { try db.execute("UPDATE members SET role = ? WHERE id = ?", [role.rawValue, id.rawValue]) }
            if let directoryEntry { try db.execute("UPDATE members SET directory_entry = ? WHERE id = ?", [Data(directoryEntry), id.rawValue]) }
            return try Self.append(event, db)
        }
    }

    public func revokeMember(_ id: MemberID, reason: String, at now: Int64, event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            let changed = try db.execute("UPDATE members SET status = 'revoked' WHERE id = ?", [id.rawValue])
            guard changed == 1 else { throw StoreError(.notFound, "member \(id) is not enrolled") }
            let index = try Self.append(event, db)
            try Self.keepReason(RevocationReason(leafIndex: index, member: id, device: nil, reason: reason, at: now, by: event.actor), db)
            return index
        }
    }

    static func keepReason(_ reason: RevocationReason, _ db: any SQLSession) throws {
        try db.perform("INSERT INTO revocation_reasons (leaf_index, member, device, reason, revoked_at, revoked_by) VALUES (?, ?, ?, ?, ?, ?)", [Int64(clamping: reason.leafIndex), reason.member.rawValue, reason.device, reason.reason, reason.at, reason.by])
    }

    public func revocationReasons() async throws -> [RevocationReason] {
        try await read { db in
            try db.rows("SELECT * FROM revocation_reasons ORDER BY leaf_index").map { row in
                RevocationReason(leafIndex: UInt64(try row.decode(Int64.self, forColumn: "leaf_index")), member: try MemberID(row.decode(String.self, forColumn: "member")),
                                 device: try row.decode(String?.self, forColumn: "device"), reason: try row.decode(String.self, forColumn: "reason"),
                                 at: try row.decode(Int64.self, forColumn: "revoked_at"), by: try row.decode(String.self, forColumn: "revoked_by"))
            }
        }
    }

    public func renewCertificate(_ id: MemberID, device: String, fingerprint: String, expiresAt: Int64, event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            var changed = try db.execute("UPDATE members SET certificate_fingerprint = ?, certificate_expires_at = ? WHERE id = ? AND device = ? AND status = 'active'", [fingerprint, expiresAt, id.rawValue, device])
            if changed == 0 {
                changed = try db.execute("""
                    UPDATE member_keys SET certificate_fingerprint = ?, certificate_expires_at = ? WHERE member_id = ? AND device = ? AND state = 'active'
                    AND (SELECT status FROM members WHERE id = ?) = 'active'
                    """, [fingerprint, expiresAt, id.rawValue, device, id.rawValue])
            }
            guard changed == 1 else { throw StoreError(.notFound, "\(id) has no active device `\(device)`") }
            return try Self.append(event, db)
        }
    }

    public func member(_ id: MemberID) async throws -> Member? {
        try await registrySnapshot().members[id]
    }

    public func members() async throws -> [Member] {
        try await registrySnapshot().members.values.sorted { $0.id < $1.id }
    }

    public func setRoleAddress(_ address: MemberID, members: [MemberID], event: AuditEvent) async throws -> UInt64 {
        try await registryWrite { db in
            guard try db.value(Bool.self, "SELECT 1 FROM members WHERE id = ?", [address.rawValue]) == nil else {
                throw StoreError(.alreadyExists, "\(address) is a member, so it cannot also be a role address")
            }
            for member in members {
                guard try db.value(String.self, "SELECT agency_id FROM members WHERE id = ?", [member.rawValue]) == address.agency.rawValue else {
                    throw StoreError(.notFound, "\(member) is not an enrolled member of \(address.agency)")
                }
            }
            try db.perform("DELETE FROM role_members WHERE address = ?", [address.rawValue])
            for member in Set(members) {
                try db.perform("INSERT INTO role_members (address, member_id) VALUES (?, ?)", [address.rawValue, member.rawValue])
            }
            return try Self.append(event, db)
        }
    }

    public func roleAddress(_ address: MemberID) async throws -> [MemberID]? {
        try await registrySnapshot().roles[address]
    }

    public func roleAddresses() async throws -> [MemberID: [MemberID]] {
        try await registrySnapshot().roles
    }

    /// A registry write; the in-memory registry is refreshed after it, here and (through the dialect's notification,
    /// sent when the transaction commits) in every other relay instance on the same database.
    func registryWrite<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T {
        defer { registry.invalidate() }
        return try await write { db in
            let value = try body(db)
            if let notification = db.dialect.registryChanged { try db.execute(notification) }
            return value
        }
    }

    /// The in-memory registry, loaded in one read when a write has made it stale.
    func registrySnapshot() async throws(StoreError) -> RegistryCache.Snapshot {
        try await registry.snapshot { () async throws(StoreError) in
            try await read { db in
                var snapshot = RegistryCache.Snapshot()
                for agency in try db.rows("SELECT * FROM agencies").map(Self.agency) { snapshot.agencies[agency.id] = agency }
                for member in try db.rows("SELECT * FROM members").map(Self.member) { snapshot.members[member.id] = member }
                for row in try db.rows("SELECT * FROM member_keys ORDER BY created_at, device") {
                    let key = try Self.memberKey(row)
                    snapshot.members[try MemberID(row.decode(String.self, forColumn: "member_id"))]?.otherKeys.append(key)
                }
                for row in try db.rows("SELECT address, member_id FROM role_members ORDER BY member_id") {
                    let address = try MemberID(row.decode(String.self, forColumn: "address"))
                    snapshot.roles[address, default: []].append(try MemberID(row.decode(String.self, forColumn: "member_id")))
                }
                return snapshot
            }
        }
    }

    static func agency(_ row: SQLRow) throws -> Agency {
        guard let status = Agency.Status(rawValue: try row.decode(String.self, forColumn: "status")) else {
            throw StoreError(.corrupt, "an agency row has an unknown status")
        }
        return Agency(id: try AgencyID(row.decode(String.self, forColumn: "id")), name: try row.decode(String.self, forColumn: "name"),
                      kind: try row.decode(String.self, forColumn: "kind"), status: status, registeredAt: try row.decode(Int64.self, forColumn: "registered_at"))
    }

    static func member(_ row: SQLRow) throws -> Member {
        guard let status = Member.Status(rawValue: try row.decode(String.self, forColumn: "status")),
              let role = Member.Role(rawValue: try row.decode(String.self, forColumn: "role")) else {
            throw StoreError(.corrupt, "a member row has an unknown status or role")
        }
        return Member(id: try MemberID(row.decode(String.self, forColumn: "id")), displayName: try row.decode(String.self, forColumn: "display_name"),
                      role: role, signingKey: Array(try row.decode(Data.self, forColumn: "signing_key")),
                      encryptionKey: Array(try row.decode(Data.self, forColumn: "encryption_key")),
                      certificateFingerprint: try row.decode(String.self, forColumn: "certificate_fingerprint"), status: status,
                      directoryEntry: try row.decode(Data?.self, forColumn: "directory_entry").map { Array($0) },
                      enrolledAt: try row.decode(Int64.self, forColumn: "enrolled_at"),
                      certificateExpiresAt: try row.decode(Int64?.self, forColumn: "certificate_expires_at"),
                      device: try row.decode(String.self, forColumn: "device"), keysSince: try row.decode(Int64?.self, forColumn: "keys_since"))
    }

    static func memberKey(_ row: SQLRow) throws -> MemberKey {
        guard let state = MemberKey.State(rawValue: try row.decode(String.self, forColumn: "state")) else {
            throw StoreError(.corrupt, "a member key row has an unknown state")
        }
        return MemberKey(device: try row.decode(String.self, forColumn: "device"), signingKey: Array(try row.decode(Data.self, forColumn: "signing_key")),
                         encryptionKey: Array(try row.decode(Data.self, forColumn: "encryption_key")),
                         certificateFingerprint: try row.decode(String?.self, forColumn: "certificate_fingerprint"),
                         certificateExpiresAt: try row.decode(Int64?.self, forColumn: "certificate_expires_at"),
                         directoryEntry: try row.decode(Data?.self, forColumn: "directory_entry").map { Array($0) }, state: state,
                         createdAt: try row.decode(Int64.self, forColumn: "created_at"), endedAt: try row.decode(Int64?.self, forColumn: "ended_at"))
    }

    static func insertKeyRow(_ member: MemberID, _ key: MemberKey, _ db: any SQLSession) throws {
        try db.perform("""
            INSERT INTO member_keys (member_id, device, signing_key, encryption_key, certificate_fingerprint, certificate_expires_at, directory_entry,
                                     state, created_at, ended_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [member.rawValue, key.device, Data(key.signingKey), Data(key.encryptionKey), key.certificateFingerprint,
                                     key.certificateExpiresAt, key.directoryEntry.map { Data($0) }, key.state.rawValue, key.createdAt, key.endedAt])
    }
}
