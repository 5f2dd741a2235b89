import Foundation
import GRDB
import ISRAudit
import ISRPacket

/// The SQLite schema as append-only migrations: never edit one that has shipped; add the next.
/// Invariants live in the schema (CHECKs, keys), so no code path can write a half-valid record.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-registry-packets-audit") { db in
            try db.execute(sql: """
                CREATE TABLE agencies (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                    kind TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
                    registered_at INTEGER NOT NULL
                ) STRICT;

                CREATE TABLE members (
                    id TEXT PRIMARY KEY NOT NULL,
                    agency_id TEXT NOT NULL REFERENCES agencies(id),
                    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
                    role TEXT NOT NULL CHECK (role IN ('practitioner', 'dsl', 'manager', 'admin')),
                    signing_key BLOB NOT NULL CHECK (length(signing_key) = 32),
                    encryption_key BLOB NOT NULL CHECK (length(encryption_key) = 32),
                    certificate_fingerprint TEXT NOT NULL UNIQUE,
                    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
                    directory_entry BLOB,
                    enrolled_at INTEGER NOT NULL
                ) STRICT;

                CREATE TABLE role_members (
                    address TEXT NOT NULL,
                    member_id TEXT NOT NULL REFERENCES members(id),
                    PRIMARY KEY (address, member_id)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX role_members_by_member ON role_members(member_id);

                CREATE TABLE packets (
                    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
                    sender TEXT NOT NULL REFERENCES members(id),
                    kind TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    recipients TEXT NOT NULL,
                    state TEXT NOT NULL,
                    accepted_at INTEGER NOT NULL,
                    deadline INTEGER,
                    leaf_index INTEGER NOT NULL,
                    digest BLOB NOT NULL CHECK (length(digest) = 32),
                    bytes BLOB,
                    in_reply_to BLOB,
                    relates_to BLOB,
                    retention_days INTEGER NOT NULL CHECK (retention_days >= 0),
                    overdue_at INTEGER,
                    confirmed_at INTEGER
                ) STRICT;
                CREATE INDEX packets_by_sender ON packets(sender, accepted_at);
                CREATE INDEX packets_by_deadline ON packets(deadline) WHERE deadline IS NOT NULL AND overdue_at IS NULL;

                CREATE TABLE packet_recipients (
                    packet_id BLOB NOT NULL REFERENCES packets(id),
                    member_id TEXT NOT NULL,
                    via TEXT NOT NULL,
                    delivered_at INTEGER,
                    receipt BLOB,
                    read_at INTEGER,
                    PRIMARY KEY (packet_id, member_id)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX packet_recipients_by_member ON packet_recipients(member_id);

                CREATE TABLE packet_states (
                    packet_id BLOB NOT NULL REFERENCES packets(id),
                    state TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    leaf_index INTEGER NOT NULL
                ) STRICT;
                CREATE INDEX packet_states_by_packet ON packet_states(packet_id);

                CREATE TABLE audit_leaves (
                    leaf_index INTEGER PRIMARY KEY NOT NULL CHECK (leaf_index >= 0),
                    data BLOB NOT NULL,
                    hash BLOB NOT NULL CHECK (length(hash) = 32)
                ) STRICT;

                CREATE TABLE merkle_nodes (
                    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
                    idx INTEGER NOT NULL CHECK (idx >= 0),
                    hash BLOB NOT NULL CHECK (length(hash) = 32),
                    PRIMARY KEY (level, idx)
                ) STRICT, WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2-escalation-notices") { db in
            try db.execute(sql: """
                CREATE TABLE notices (
                    id INTEGER PRIMARY KEY,
                    recipient TEXT NOT NULL,
                    packet_id BLOB NOT NULL REFERENCES packets(id),
                    body BLOB NOT NULL,
                    created_at INTEGER NOT NULL
                ) STRICT;
                CREATE INDEX notices_by_recipient ON notices(recipient, id);
                """)
        }
        migrator.registerMigration("v3-per-recipient-lifecycle") { db in
            // State moves from the packet to each recipient address (packet_obligations); the packet keeps its phase
            // (held, accepted, returned, withdrawn). Countersignature, emergency release and paging columns.
            try db.execute(sql: """
                ALTER TABLE packets ADD COLUMN urgency TEXT NOT NULL DEFAULT 'routine' CHECK (urgency IN ('routine', 'priority', 'urgent'));
                ALTER TABLE packets ADD COLUMN countersign_due INTEGER;
                ALTER TABLE packets ADD COLUMN countersigned_at INTEGER;
                ALTER TABLE packets ADD COLUMN countersign_overdue_at INTEGER;
                ALTER TABLE packets ADD COLUMN emergency INTEGER NOT NULL DEFAULT 0 CHECK (emergency IN (0, 1));
                ALTER TABLE packets ADD COLUMN emergency_reason TEXT CHECK (emergency_reason IS NULL OR length(emergency_reason) BETWEEN 1 AND 2000);
                ALTER TABLE packets ADD COLUMN return_reason TEXT CHECK (return_reason IS NULL OR length(return_reason) BETWEEN 1 AND 2000);
                ALTER TABLE packet_recipients ADD COLUMN countersigner INTEGER NOT NULL DEFAULT 0 CHECK (countersigner IN (0, 1));
                -- Listings page by leaf index; overdue deadlines live on the obligations now.
                CREATE INDEX packets_by_sender_leaf ON packets(sender, leaf_index);
                DROP INDEX packets_by_sender;
                DROP INDEX packets_by_deadline;
                CREATE INDEX packets_awaiting_countersign ON packets(countersign_due)
                    WHERE countersign_due IS NOT NULL AND countersigned_at IS NULL AND countersign_overdue_at IS NULL;

                -- When each packet's ciphertext goes: its last event plus its retention. A small row of its own, so that
                -- recording an event never rewrites the packet row (which holds the ciphertext).
                CREATE TABLE packet_retention (
                    packet_id BLOB PRIMARY KEY NOT NULL REFERENCES packets(id),
                    retention_ms INTEGER NOT NULL CHECK (retention_ms >= 0),
                    purge_at INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX packet_retention_by_time ON packet_retention(purge_at);

                CREATE TABLE packet_obligations (
                    packet_id BLOB NOT NULL REFERENCES packets(id),
                    address TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'read', 'acknowledged', 'clarification-requested',
                                                         'confirmed', 'declined', 'answered')),
                    deadline INTEGER,
                    overdue_at INTEGER,
                    answered_by TEXT,
                    answer_packet BLOB CHECK (answer_packet IS NULL OR length(answer_packet) = 16),
                    PRIMARY KEY (packet_id, address)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX packet_obligations_by_deadline ON packet_obligations(deadline)
                    WHERE deadline IS NOT NULL AND overdue_at IS NULL
                    AND state IN ('pending', 'delivered', 'read', 'clarification-requested');

                INSERT INTO packet_retention (packet_id, retention_ms, purge_at)
                SELECT id, retention_days * 86400000,
                       COALESCE((SELECT MAX(at) FROM packet_states WHERE packet_id = packets.id), accepted_at) + retention_days * 86400000
                FROM packets WHERE bytes IS NOT NULL;
                """)
            // Existing packets: one obligation per header address carrying the packet's old state.
            let rows = try Row.fetchAll(db, sql: "SELECT id, recipients, state, deadline, overdue_at FROM packets")
            for row in rows {
                let id: Data = row["id"]
                let old: String = row["state"]
                let state = ["held", "accepted", "withdrawn"].contains(old) ? "pending" : old
                for address in (row["recipients"] as String).split(separator: ",") {
                    try db.execute(sql: "INSERT INTO packet_obligations (packet_id, address, state, deadline, overdue_at) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [id, String(address), state, row["deadline"] as Int64?, row["overdue_at"] as Int64?])
                }
            }
            try db.execute(sql: "UPDATE packets SET state = 'accepted' WHERE state NOT IN ('held', 'withdrawn')")
        }
        migrator.registerMigration("v4-invitations") { db in
            // One-time enrolment invitations, stored by the SHA-256 of their code; at most one live invitation per member.
            try db.execute(sql: """
                CREATE TABLE invitations (
                    code_hash BLOB PRIMARY KEY NOT NULL CHECK (length(code_hash) = 32),
                    member TEXT NOT NULL,
                    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
                    role TEXT NOT NULL CHECK (role IN ('practitioner', 'dsl', 'manager', 'admin')),
                    invited_by TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL CHECK (expires_at > created_at),
                    state TEXT NOT NULL CHECK (state IN ('open', 'submitted', 'approved', 'collected', 'withdrawn')),
                    certificate_request TEXT,
                    signing_key BLOB CHECK (signing_key IS NULL OR length(signing_key) = 32),
                    encryption_key BLOB CHECK (encryption_key IS NULL OR length(encryption_key) = 32),
                    proof BLOB CHECK (proof IS NULL OR length(proof) = 64),
                    submitted_at INTEGER,
                    approved_by TEXT,
                    approved_at INTEGER,
                    certificate TEXT,
                    CHECK (state IN ('open', 'withdrawn') OR (certificate_request IS NOT NULL AND signing_key IS NOT NULL
                           AND encryption_key IS NOT NULL AND proof IS NOT NULL AND submitted_at IS NOT NULL)),
                    CHECK (state NOT IN ('approved', 'collected') OR (certificate IS NOT NULL AND approved_by IS NOT NULL AND approved_at IS NOT NULL))
                ) STRICT, WITHOUT ROWID;
                CREATE UNIQUE INDEX invitations_live_per_member ON invitations(member) WHERE state IN ('open', 'submitted', 'approved');
                """)
        }
        migrator.registerMigration("v5-certificate-expiry") { db in
            // When each member's client certificate expires, for renewal warnings and /metrics (unknown for older enrolments).
            try db.execute(sql: "ALTER TABLE members ADD COLUMN certificate_expires_at INTEGER")
        }
        migrator.registerMigration("v6-agency-admins") { db in
            // A role for agency admins: SQLite cannot change a CHECK in place, so both tables that name roles are rebuilt
            // (the documented create-copy-drop-rename procedure; foreign keys are checked once the migration ends).
            try db.execute(sql: """
                CREATE TABLE members_v6 (
                    id TEXT PRIMARY KEY NOT NULL,
                    agency_id TEXT NOT NULL REFERENCES agencies(id),
                    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
                    role TEXT NOT NULL CHECK (role IN ('practitioner', 'dsl', 'manager', 'agency-admin', 'admin')),
                    signing_key BLOB NOT NULL CHECK (length(signing_key) = 32),
                    encryption_key BLOB NOT NULL CHECK (length(encryption_key) = 32),
                    certificate_fingerprint TEXT NOT NULL UNIQUE,
                    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
                    directory_entry BLOB,
                    enrolled_at INTEGER NOT NULL,
                    certificate_expires_at INTEGER
                ) STRICT;
                INSERT INTO members_v6 SELECT id, agency_id, display_name, role, signing_key, encryption_key, certificate_fingerprint, status,
                                              directory_entry, enrolled_at, certificate_expires_at FROM members;
                DROP TABLE members;
                ALTER TABLE members_v6 RENAME TO members;

                CREATE TABLE invitations_v6 (
                    code_hash BLOB PRIMARY KEY NOT NULL CHECK (length(code_hash) = 32),
                    member TEXT NOT NULL,
                    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
                    role TEXT NOT NULL CHECK (role IN ('practitioner', 'dsl', 'manager', 'agency-admin', 'admin')),
                    invited_by TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL CHECK (expires_at > created_at),
                    state TEXT NOT NULL CHECK (state IN ('open', 'submitted', 'approved', 'collected', 'withdrawn')),
                    certificate_request TEXT,
                    signing_key BLOB CHECK (signing_key IS NULL OR length(signing_key) = 32),
                    encryption_key BLOB CHECK (encryption_key IS NULL OR length(encryption_key) = 32),
                    proof BLOB CHECK (proof IS NULL OR length(proof) = 64),
                    submitted_at INTEGER,
                    approved_by TEXT,
                    approved_at INTEGER,
                    certificate TEXT,
                    CHECK (state IN ('open', 'withdrawn') OR (certificate_request IS NOT NULL AND signing_key IS NOT NULL
                           AND encryption_key IS NOT NULL AND proof IS NOT NULL AND submitted_at IS NOT NULL)),
                    CHECK (state NOT IN ('approved', 'collected') OR (certificate IS NOT NULL AND approved_by IS NOT NULL AND approved_at IS NOT NULL))
                ) STRICT, WITHOUT ROWID;
                INSERT INTO invitations_v6 SELECT * FROM invitations;
                DROP TABLE invitations;
                ALTER TABLE invitations_v6 RENAME TO invitations;
                CREATE UNIQUE INDEX invitations_live_per_member ON invitations(member) WHERE state IN ('open', 'submitted', 'approved');
                """)
        }
        migrator.registerMigration("v7-devices-and-key-history") { db in
            // Several devices per member and the keys each held before a re-key or reset. The member's row keeps their
            // primary device's current keys; every other key set (another device, or an earlier key) is a member_keys row.
            try db.execute(sql: """
                ALTER TABLE members ADD COLUMN device TEXT NOT NULL DEFAULT 'primary';
                ALTER TABLE members ADD COLUMN keys_since INTEGER;
                CREATE TABLE member_keys (
                    member_id TEXT NOT NULL REFERENCES members(id),
                    device TEXT NOT NULL CHECK (length(device) BETWEEN 1 AND 40),
                    signing_key BLOB NOT NULL CHECK (length(signing_key) = 32),
                    encryption_key BLOB NOT NULL CHECK (length(encryption_key) = 32),
                    certificate_fingerprint TEXT,
                    certificate_expires_at INTEGER,
                    directory_entry BLOB,
                    state TEXT NOT NULL CHECK (state IN ('active', 'retired', 'revoked')),
                    created_at INTEGER NOT NULL,
                    ended_at INTEGER,
                    CHECK ((state = 'active') = (ended_at IS NULL)),
                    CHECK (state <> 'active' OR certificate_fingerprint IS NOT NULL),
                    PRIMARY KEY (member_id, signing_key)
                ) STRICT, WITHOUT ROWID;
                CREATE UNIQUE INDEX member_keys_active_device ON member_keys(member_id, device) WHERE state = 'active';
                CREATE UNIQUE INDEX member_keys_active_certificate ON member_keys(certificate_fingerprint) WHERE state = 'active';
                ALTER TABLE invitations ADD COLUMN purpose TEXT NOT NULL DEFAULT 'enrol' CHECK (purpose IN ('enrol', 'device', 'rekey'));
                ALTER TABLE invitations ADD COLUMN device TEXT NOT NULL DEFAULT 'primary' CHECK (length(device) BETWEEN 1 AND 40);
                DROP INDEX invitations_live_per_member;
                CREATE UNIQUE INDEX invitations_live_per_device ON invitations(member, device) WHERE state IN ('open', 'submitted', 'approved');
                """)
        }
        migrator.registerMigration("v8-subject-index") { db in
            // Which packets are about a case, for a member's chronology: the SHA-256 of the header's subject reference
            // (`SubjectKey`), inherited by replies from the packet they answer or relate to.
            try db.execute(sql: """
                ALTER TABLE packets ADD COLUMN subject_key BLOB CHECK (subject_key IS NULL OR length(subject_key) = 32);
                CREATE INDEX packets_by_subject ON packets(subject_key, leaf_index) WHERE subject_key IS NOT NULL;
                """)
            // Existing packets, oldest first so replies inherit: read from the stored header (purged ones stay unindexed).
            let rows = try Row.fetchAll(db, sql: "SELECT id, bytes, in_reply_to, relates_to FROM packets ORDER BY leaf_index")
            var keys: [Data: Data] = [:]
            for row in rows {
                let id: Data = row["id"]
                var key: Data?
                if let bytes: Data = row["bytes"], let sealed = try? SealedPacket(encoded: Array(bytes)),
                   let reference = (try? PacketHeader(derEncoded: sealed.headerBytes))?.subjectReference {
                    key = Data(SubjectKey.of(reference))
                }
                key = key ?? (row["in_reply_to"] as Data?).flatMap { keys[$0] } ?? (row["relates_to"] as Data?).flatMap { keys[$0] }
                guard let key else { continue }
                keys[id] = key
                try db.execute(sql: "UPDATE packets SET subject_key = ? WHERE id = ?", arguments: [key, id])
            }
        }
        migrator.registerMigration("v9-audit-actors") { db in
            // Who caused each audit event, so a member can be given the events that are theirs (need to know) without
            // reading the whole log. Existing leaves get theirs from their own DER.
            try db.execute(sql: """
                ALTER TABLE audit_leaves ADD COLUMN actor TEXT;
                CREATE INDEX audit_leaves_by_actor ON audit_leaves(actor, leaf_index) WHERE actor IS NOT NULL;
                """)
            let rows = try Row.fetchCursor(db, sql: "SELECT leaf_index, data FROM audit_leaves")
            var actors: [(Int64, String)] = []
            while let row = try rows.next() {
                if let event = try? AuditEvent(derEncoded: Array(row["data"] as Data)) { actors.append((row["leaf_index"], event.actor)) }
            }
            for (index, actor) in actors {
                try db.execute(sql: "UPDATE audit_leaves SET actor = ? WHERE leaf_index = ?", arguments: [actor, index])
            }
        }
        migrator.registerMigration("v10-auditors") { db in
            // An `auditor` role: SQLite cannot change a CHECK in place, so both tables that name roles are rebuilt
            // (create-copy-drop-rename, as in v6) from their current definitions, keeping every column added since, and
            // their indexes are made again.
            let narrow = "role IN ('practitioner', 'dsl', 'manager', 'agency-admin', 'admin')"
            let wide = "role IN ('practitioner', 'dsl', 'manager', 'agency-admin', 'admin', 'auditor')"
            for table in ["members", "invitations"] {
                guard let definition = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]),
                      definition.contains(narrow), let open = definition.firstIndex(of: "(") else {
                    throw StoreError(.corrupt, "table \(table) does not have the role check this migration widens")
                }
                let indexes = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                                                  arguments: [table])
                let rebuilt = "CREATE TABLE \(table)_v10 " + definition[open...].replacingOccurrences(of: narrow, with: wide)
                try db.execute(sql: rebuilt)
                try db.execute(sql: "INSERT INTO \(table)_v10 SELECT * FROM \(table)")
                try db.execute(sql: "DROP TABLE \(table)")
                try db.execute(sql: "ALTER TABLE \(table)_v10 RENAME TO \(table)")
                for index in indexes { try db.execute(sql: index) }
            }
        }
        migrator.registerMigration("v11-revocation-reasons") { db in
            // Revocation reasons leave the audit log (auditors read all of it; reasons are for admins): events from now
            // on carry the reason's SHA-256, and the text is kept here, keyed by its leaf.
            try db.execute(sql: """
                CREATE TABLE revocation_reasons (
                    leaf_index INTEGER PRIMARY KEY NOT NULL,
                    member TEXT NOT NULL,
                    device TEXT,
                    reason TEXT NOT NULL,
                    revoked_at INTEGER NOT NULL,
                    revoked_by TEXT NOT NULL
                ) STRICT;
                """)
        }
        return migrator
    }
}
