import ISRStore

/// The PostgreSQL schema as append-only migrations, recorded in `isr_migrations`: never edit one that has shipped; add
/// the next. It starts where SQLite's eleven migrations ended, with the same tables, columns, CHECKs and keys, so the
/// shared operations see one shape; identifiers compare and sort bytewise (`COLLATE "C"`), as in SQLite.
enum PostgresSchema {
    struct Migration {
        var version: String
        var statements: [String]
    }

    /// Serialises migrations between relay instances starting together (a session-independent advisory lock key).
    static let migrationLock: Int64 = 0x4953_525F_6D69_67   // "ISR_mig"

    static let migrations: [Migration] = [
        Migration(version: "v1-relay-store", statements: [
            """
            CREATE TABLE agencies (
                id TEXT COLLATE "C" PRIMARY KEY,
                name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                kind TEXT COLLATE "C" NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
                registered_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE members (
                id TEXT COLLATE "C" PRIMARY KEY,
                agency_id TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
                display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
                role TEXT NOT NULL CHECK (role IN ('practitioner', 'dsl', 'manager', 'agency-admin', 'admin', 'auditor')),
                signing_key BYTEA NOT NULL CHECK (length(signing_key) = 32),
                encryption_key BYTEA NOT NULL CHECK (length(encryption_key) = 32),
                certificate_fingerprint TEXT COLLATE "C" NOT NULL UNIQUE,
                status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
                directory_entry BYTEA,
                enrolled_at BIGINT NOT NULL,
                certificate_expires_at BIGINT,
                device TEXT COLLATE "C" NOT NULL DEFAULT 'primary',
                keys_since BIGINT
            )
            """,
            """
            CREATE TABLE role_members (
                address TEXT COLLATE "C" NOT NULL,
                member_id TEXT COLLATE "C" NOT NULL REFERENCES members(id),
                PRIMARY KEY (address, member_id)
            )
            """,
            "CREATE INDEX role_members_by_member ON role_members(member_id)",
            """
            CREATE TABLE member_keys (
                member_id TEXT COLLATE "C" NOT NULL REFERENCES members(id),
                device TEXT COLLATE "C" NOT NULL CHECK (length(device) BETWEEN 1 AND 40),
                signing_key BYTEA NOT NULL CHECK (length(signing_key) = 32),
                encryption_key BYTEA NOT NULL CHECK (length(encryption_key) = 32),
                certificate_fingerprint TEXT COLLATE "C",
                certificate_expires_at BIGINT,
                directory_entry BYTEA,
                state TEXT NOT NULL CHECK (state IN ('active', 'retired', 'revoked')),
                created_at BIGINT NOT NULL,
                ended_at BIGINT,
                CHECK ((state = 'active') = (ended_at IS NULL)),
                CHECK (state <> 'active' OR certificate_fingerprint IS NOT NULL),
                PRIMARY KEY (member_id, signing_key)
            )
            """,
            "CREATE UNIQUE INDEX member_keys_active_device ON member_keys(member_id, device) WHERE state = 'active'",
            "CREATE UNIQUE INDEX member_keys_active_certificate ON member_keys(certificate_fingerprint) WHERE state = 'active'",
            """
            CREATE TABLE packets (
                id BYTEA PRIMARY KEY CHECK (length(id) = 16),
                sender TEXT COLLATE "C" NOT NULL REFERENCES members(id),
                kind TEXT NOT NULL,
                purpose TEXT NOT NULL,
                recipients TEXT COLLATE "C" NOT NULL,
                state TEXT NOT NULL,
                accepted_at BIGINT NOT NULL,
                deadline BIGINT,
                leaf_index BIGINT NOT NULL,
                digest BYTEA NOT NULL CHECK (length(digest) = 32),
                bytes BYTEA,
                in_reply_to BYTEA,
                relates_to BYTEA,
                retention_days BIGINT NOT NULL CHECK (retention_days >= 0),
                urgency TEXT NOT NULL DEFAULT 'routine' CHECK (urgency IN ('routine', 'priority', 'urgent')),
                countersign_due BIGINT,
                countersigned_at BIGINT,
                countersign_overdue_at BIGINT,
                emergency BIGINT NOT NULL DEFAULT 0 CHECK (emergency IN (0, 1)),
                emergency_reason TEXT CHECK (emergency_reason IS NULL OR length(emergency_reason) BETWEEN 1 AND 2000),
                return_reason TEXT CHECK (return_reason IS NULL OR length(return_reason) BETWEEN 1 AND 2000),
                subject_key BYTEA CHECK (subject_key IS NULL OR length(subject_key) = 32)
            )
            """,
            "CREATE INDEX packets_by_sender_leaf ON packets(sender, leaf_index)",
            "CREATE INDEX packets_by_leaf ON packets(leaf_index)",
            """
            CREATE INDEX packets_awaiting_countersign ON packets(countersign_due)
                WHERE countersign_due IS NOT NULL AND countersigned_at IS NULL AND countersign_overdue_at IS NULL
            """,
            "CREATE INDEX packets_by_subject ON packets(subject_key, leaf_index) WHERE subject_key IS NOT NULL",
            """
            CREATE TABLE packet_recipients (
                packet_id BYTEA NOT NULL REFERENCES packets(id),
                member_id TEXT COLLATE "C" NOT NULL,
                via TEXT COLLATE "C" NOT NULL,
                delivered_at BIGINT,
                receipt BYTEA,
                read_at BIGINT,
                countersigner BIGINT NOT NULL DEFAULT 0 CHECK (countersigner IN (0, 1)),
                PRIMARY KEY (packet_id, member_id)
            )
            """,
            "CREATE INDEX packet_recipients_by_member ON packet_recipients(member_id)",
            """
            CREATE TABLE packet_states (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                packet_id BYTEA NOT NULL REFERENCES packets(id),
                state TEXT NOT NULL,
                at BIGINT NOT NULL,
                actor TEXT COLLATE "C" NOT NULL,
                leaf_index BIGINT NOT NULL
            )
            """,
            "CREATE INDEX packet_states_by_packet ON packet_states(packet_id)",
            """
            CREATE TABLE packet_retention (
                packet_id BYTEA PRIMARY KEY REFERENCES packets(id),
                retention_ms BIGINT NOT NULL CHECK (retention_ms >= 0),
                purge_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX packet_retention_by_time ON packet_retention(purge_at)",
            """
            CREATE TABLE packet_obligations (
                packet_id BYTEA NOT NULL REFERENCES packets(id),
                address TEXT COLLATE "C" NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'read', 'acknowledged', 'clarification-requested',
                                                     'confirmed', 'declined', 'answered')),
                deadline BIGINT,
                overdue_at BIGINT,
                answered_by TEXT COLLATE "C",
                answer_packet BYTEA CHECK (answer_packet IS NULL OR length(answer_packet) = 16),
                PRIMARY KEY (packet_id, address)
            )
            """,
            """
            CREATE INDEX packet_obligations_by_deadline ON packet_obligations(deadline)
                WHERE deadline IS NOT NULL AND overdue_at IS NULL AND state IN ('pending', 'delivered', 'read', 'clarification-requested')
            """,
            """
            CREATE TABLE notices (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                recipient TEXT COLLATE "C" NOT NULL,
                packet_id BYTEA NOT NULL REFERENCES packets(id),
                body BYTEA NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX notices_by_recipient ON notices(recipient, id)",
            """
            CREATE TABLE invitations (
                code_hash BYTEA PRIMARY KEY CHECK (length(code_hash) = 32),
                member TEXT COLLATE "C" NOT NULL,
                display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
                role TEXT NOT NULL CHECK (role IN ('practitioner', 'dsl', 'manager', 'agency-admin', 'admin', 'auditor')),
                invited_by TEXT COLLATE "C" NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL CHECK (expires_at > created_at),
                state TEXT NOT NULL CHECK (state IN ('open', 'submitted', 'approved', 'collected', 'withdrawn')),
                certificate_request TEXT,
                signing_key BYTEA CHECK (signing_key IS NULL OR length(signing_key) = 32),
                encryption_key BYTEA CHECK (encryption_key IS NULL OR length(encryption_key) = 32),
                proof BYTEA CHECK (proof IS NULL OR length(proof) = 64),
                submitted_at BIGINT,
                approved_by TEXT COLLATE "C",
                approved_at BIGINT,
                certificate TEXT,
                purpose TEXT NOT NULL DEFAULT 'enrol' CHECK (purpose IN ('enrol', 'device', 'rekey')),
                device TEXT COLLATE "C" NOT NULL DEFAULT 'primary' CHECK (length(device) BETWEEN 1 AND 40),
                CHECK (state IN ('open', 'withdrawn') OR (certificate_request IS NOT NULL AND signing_key IS NOT NULL
                       AND encryption_key IS NOT NULL AND proof IS NOT NULL AND submitted_at IS NOT NULL)),
                CHECK (state NOT IN ('approved', 'collected') OR (certificate IS NOT NULL AND approved_by IS NOT NULL AND approved_at IS NOT NULL))
            )
            """,
            "CREATE UNIQUE INDEX invitations_live_per_device ON invitations(member, device) WHERE state IN ('open', 'submitted', 'approved')",
            """
            CREATE TABLE audit_leaves (
                leaf_index BIGINT PRIMARY KEY CHECK (leaf_index >= 0),
                data BYTEA NOT NULL,
                hash BYTEA NOT NULL CHECK (length(hash) = 32),
                actor TEXT COLLATE "C"
            )
            """,
            "CREATE INDEX audit_leaves_by_actor ON audit_leaves(actor, leaf_index) WHERE actor IS NOT NULL",
            """
            CREATE TABLE merkle_nodes (
                level BIGINT NOT NULL CHECK (level BETWEEN 0 AND 63),
                idx BIGINT NOT NULL CHECK (idx >= 0),
                hash BYTEA NOT NULL CHECK (length(hash) = 32),
                PRIMARY KEY (level, idx)
            )
            """,
            """
            CREATE TABLE revocation_reasons (
                leaf_index BIGINT PRIMARY KEY,
                member TEXT COLLATE "C" NOT NULL,
                device TEXT,
                reason TEXT NOT NULL,
                revoked_at BIGINT NOT NULL,
                revoked_by TEXT NOT NULL
            )
            """,
            // The log's size and root as of the last commit, written by the group that committed it: every instance
            // reads the current head in one row instead of recomputing it from the nodes.
            """
            CREATE TABLE audit_head (
                one BIGINT PRIMARY KEY DEFAULT 1 CHECK (one = 1),
                size BIGINT NOT NULL CHECK (size >= 0),
                root BYTEA NOT NULL CHECK (length(root) = 32)
            )
            """,
        ]),
        // A sealed packet is ciphertext: PostgreSQL's compression of it never succeeds and cost about a tenth of the
        // writer's time (isr-bench). Rows up to a page stay inline; a larger packet moves out of line uncompressed.
        Migration(version: "v2-packets-uncompressed", statements: [
            "ALTER TABLE packets ALTER COLUMN bytes SET STORAGE EXTERNAL",
            "ALTER TABLE packets SET (toast_tuple_target = 8160)",
        ]),
        // The log's right edge beside its head, so a writer reads both with its lock (`AuditHeadRow`).
        Migration(version: "v3-audit-head-frontier", statements: [
            "ALTER TABLE audit_head ADD COLUMN frontier BYTEA CHECK (frontier IS NULL OR length(frontier) % 32 = 0)",
        ]),
        // What a write group assumed without waiting (`ExpectationBatch`), checked by the server: a false answer raises,
        // so the group's transaction rolls back even though its COMMIT was sent before the answer came.
        Migration(version: "v4-expectations-checked-by-server", statements: [
            """
            CREATE FUNCTION isr_expected(answer BIGINT) RETURNS BIGINT LANGUAGE plpgsql AS $$
            BEGIN
                IF answer IS DISTINCT FROM 1 THEN
                    RAISE EXCEPTION 'an expectation of an ISR write group did not hold; the group runs again with each operation alone'
                        USING ERRCODE = 'IS001';
                END IF;
                RETURN 1;
            END
            $$
            """,
        ]),
    ]

    /// Applies pending migrations in one transaction, under an advisory lock so instances starting together take turns.
    static func migrate(_ db: PostgresSession) throws {
        try db.execute("BEGIN")
        do {
            try db.execute("SELECT pg_advisory_xact_lock(?)", [migrationLock])
            try db.execute("CREATE TABLE IF NOT EXISTS isr_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            let applied = Set(try db.rows("SELECT version FROM isr_migrations").map { try $0.decode(String.self, at: 0) })
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements { try db.execute(statement) }
                try db.execute("INSERT INTO isr_migrations (version) VALUES (?)", [migration.version])
            }
            try db.execute("COMMIT")
        } catch {
            _ = try? db.execute("ROLLBACK")
            throw error
        }
    }
}
