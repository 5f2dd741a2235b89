import GRDB

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
        return migrator
    }
}
