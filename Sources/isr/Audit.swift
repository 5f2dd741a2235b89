import ArgumentParser
import Foundation
import ISRClient
import ISRPacket

/// `isr audit verify`: check the relay's tamper-evident record from the outside.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the relay's audit log, or show your own record of a packet.", subcommands: [Verify.self, Show.self])

    /// `isr audit show ID`: your own signed record of a packet and everything linked to it, read offline.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show your local record of a packet and the packets that answer it (works offline).")
        @Argument(help: "The packet id.") var id: String
        @OptionGroup var global: GlobalOptions

        struct Line: Encodable {
            let direction: String
            let id: String
            let kind: String
            let sender: String
            let recipients: [String]
            let purpose: String
            let recordedAt: Int64
            let state: String
            let leafIndex: UInt64?
            let statement: String
            let items: [String]
        }

        func run() async throws {
            let wanted = try packetID(id)
            let lines = try Self.lines(about: wanted, global: global)
            guard !lines.isEmpty else { throw ClientError(.local, "your local record holds nothing about \(wanted)") }
            Terminal.emit(lines, json: global.json, human: Self.text(lines))
        }

        /// The local record's entries for `wanted` and the packets that answer or refer to it, oldest first.
        static func lines(about wanted: PacketID, global: GlobalOptions) throws -> [Line] {
            let home = global.isrHome
            let keys = try home.unlock(global.passphrase)
            return LocalRecord(home: home).entries(keys: keys).compactMap { entry in
                guard let bytes = Data(base64Encoded: entry.packet), let sealed = try? SealedPacket(encoded: Array(bytes)),
                      let header = try? PacketHeader(derEncoded: sealed.headerBytes),
                      header.id == wanted || header.inReplyTo == wanted || header.relatesTo == wanted,
                      let bodyBytes = Data(base64Encoded: entry.body), let body = try? PacketBody(derEncoded: Array(bodyBytes)) else { return nil }
                return Line(direction: entry.direction, id: entry.id, kind: entry.kind, sender: entry.sender, recipients: entry.recipients, purpose: entry.purpose,
                            recordedAt: entry.recordedAt, state: entry.state ?? entry.direction, leafIndex: entry.leafIndex, statement: body.statement,
                            items: body.items.map { "[\($0.tag.rawValue.uppercased())] \($0.text) — \($0.source), \($0.refersTo)" })
            }.sorted { $0.recordedAt < $1.recordedAt }
        }

        static func text(_ lines: [Line]) -> String {
            lines.map { line in
                (["\(timeText(line.recordedAt))  \(line.direction) \(line.kind) \(line.id)  \(line.sender) → \(line.recipients.joined(separator: ", "))\(line.leafIndex.map { "  (audit leaf \($0))" } ?? "")",
                  "    \(line.statement)"] + line.items.map { "    \($0)" }).joined(separator: "\n")
            }.joined(separator: "\n")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the signed checkpoint, every leaf, and consistency with the newest checkpoint this home has seen (exit 4 on any failure).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let report = try await withSession(global) { try await AuditVerification.run($0) }
            Terminal.emit(report, json: global.json, human: """
                \(report.ownEvents.map { "Audit log verified: all \($0) of your events are in the log of \(report.size) leaves the relay signed (relay key \(report.relayKeyFingerprint)); the whole log is for admins." } ?? "Audit log verified: \(report.size) leaves hash to the root the relay signed (relay key \(report.relayKeyFingerprint)).")
                \(report.previousSize.map { "Consistent with the checkpoint of size \($0) this home saw before." } ?? "First verification from this home: the relay key is now pinned.")
                """)
        }
    }
}
