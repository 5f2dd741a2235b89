import Foundation
import ISRAudit
import ISRCrypto
import ISRPacket
import ISRRelayAPI
import ISRStore

extension RelayService {
    /// At most this many packets answer one chronology query.
    static let recordLimit = 500
    /// One export names at most this many packets (their ids must fit one audit leaf of at most 8 KiB).
    static let exportLimit = 200

    /// The packets about `query.subjectReference` that `member` sent or holds a stanza for (and the replies that answer
    /// them), oldest first, each with its per-recipient status and history. Someone else's case looks exactly like a
    /// case nobody wrote about: an empty list.
    public func record(_ query: RecordQuery, for member: Member) async throws -> ListBody<PacketStatus> {
        guard SubjectReference.isValid(query.subjectReference) else {
            throw RelayRefusal.badRequest("record.subject-reference", "a subject reference is 1–64 of A–Z a–z 0–9 . _ : - (the case reference you put on your packets)")
        }
        let records = try await stored {
            try await store.packets(aboutSubject: SubjectKey.of(query.subjectReference), party: member.id, limit: Self.recordLimit)
        }
        var items: [PacketStatus] = []
        for record in records { items.append(try await status(record.id, for: member)) }
        return ListBody(items: items, next: nil)
    }

    /// Records that `member` exported evidence about these packets (each one they are a party to) as an audit leaf.
    public func recordExport(_ notice: ExportNotice, by member: Member) async throws -> ExportReceipt {
        guard (1...Self.exportLimit).contains(notice.packets.count), Set(notice.packets).count == notice.packets.count else {
            throw RelayRefusal.badRequest("export.packets", "an export names 1–\(Self.exportLimit) distinct packet ids; export a long case in parts (`--since`)")
        }
        guard let digest = Hex.decode(notice.manifestDigest), digest.count == 32, Hex.encode(digest) == notice.manifestDigest else {
            throw RelayRefusal.badRequest("export.manifest", "manifest_digest is the lower-case hex SHA-256 of the bundle's manifest.json (64 characters)")
        }
        for text in notice.packets {
            guard let id = try? PacketID(hex: text) else { throw RelayRefusal.badRequest("export.packets", "`\(text.prefix(40))` is not a packet id (32 hex digits)") }
            // Status answers only a party to the packet (or its sender's dsl/managers): an export is of your own record.
            _ = try await status(id, for: member)
        }
        let event = event("record.exported", by: member.id.rawValue, [
            "packets": notice.packets.sorted().joined(separator: ","), "manifest-sha256": notice.manifestDigest, "redacted": notice.redacted ? "yes" : "no",
        ])
        let size = try await stored { try await store.appendAuditEvents([event]) }
        return ExportReceipt(leafIndex: size - 1, recordedAt: event.time)
    }
}
