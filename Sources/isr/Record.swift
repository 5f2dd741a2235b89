import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPacket
import ISRRecord

/// Which packets of your record: a subject reference, narrowed by date and purpose.
struct RecordSelection: ParsableArguments {
    @Option(name: .customLong("subject-ref"), help: "The case reference on the packets (as sent with --subject-ref).")
    var subjectRef: String?

    @Option(help: "Only packets sent on or after this date (YYYY-MM-DD, UTC).")
    var since: String?

    @Option(help: "Only packets of this purpose (see `isr purposes`).")
    var purpose: String?

    /// `--since` as Unix milliseconds, or a usage error.
    func sinceMilliseconds() throws(ClientError) -> Int64? {
        guard let since else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard since.count == 10, let date = formatter.date(from: since) else { throw ClientError(.usage, "--since is a date like 2026-11-01") }
        return Int64(date.timeIntervalSince1970 * 1000)
    }
}

/// `isr record --subject-ref REF`: the chronology of a case, from your own record.
struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the chronology of a case: every packet you sent or received about it and every step of each, oldest first.",
        discussion: "The relay answers only for packets you are a party to; what they said comes from your own keys and local record.")
    @OptionGroup var selection: RecordSelection
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        guard let reference = selection.subjectRef else { throw ClientError(.usage, "name the case: isr record --subject-ref REF") }
        let since = try selection.sinceMilliseconds()
        let held = try await withSession(global) { try await $0.record(subjectReference: reference, since: since, purpose: selection.purpose) }
        let entries = Chronology.build(held.map(\.record))
        guard !entries.isEmpty else {
            Terminal.emit([ChronologyEntry](), json: global.json, human: "Nothing in your record about \(reference)\(since == nil && selection.purpose == nil ? "" : " with these filters").")
            return
        }
        Terminal.emit(entries, json: global.json, human: Chronology.text(entries))
    }
}

/// `isr export`: an evidence bundle anyone can verify offline.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an evidence bundle (a tar file) of packets and every step of them, with a printable report, that anyone can verify offline.",
        discussion: """
            Give packet ids, or --subject-ref for a whole case. The bundle holds the exact packets, the keys that prove their bodies, the signed
            directory entries, the relay's signed checkpoint and an inclusion proof for every event, and report.html. The export is recorded in
            the relay's audit log. --redact withholds fields (e.g. nhs_number,address) for a disclosure such as a subject access request.
            """)
    @Argument(help: "Packet ids (their replies are included).") var ids: [String] = []
    @OptionGroup var selection: RecordSelection
    @Option(help: "Where to write the bundle (refused if it exists).") var out: String
    @Option(help: "Fields to withhold, comma-separated: subject fields, or statement, items, consent_detail, informed_reason, ask.") var redact: String?
    @OptionGroup var global: GlobalOptions

    struct Summary: Encodable {
        let file: String
        let packets: Int
        let leaves: Int
        let withheldBodies: Int
        let notHeld: Int
        let exportLeaf: UInt64
        let bytes: Int
    }

    func run() async throws {
        guard ids.isEmpty != (selection.subjectRef == nil) else { throw ClientError(.usage, "give packet ids or --subject-ref, not both (and not neither)") }
        let wanted = try ids.map { text throws(ClientError) in try packetID(text) }
        let redacted = (redact ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !FileManager.default.fileExists(atPath: out) else { throw ClientError(.local, "\(out) already exists; choose another --out") }
        let since = try selection.sinceMilliseconds()
        let result = try await withSession(global) { session in
            let held = wanted.isEmpty
                ? try await session.record(subjectReference: selection.subjectRef ?? "", since: since, purpose: selection.purpose)
                : try await session.record(packets: wanted)
            return try await RecordExport.run(session, packets: held, subjectReference: selection.subjectRef, redact: redacted)
        }
        do {
            try AtomicFile.write(result.bytes, to: out, mode: 0o600)
        } catch {
            throw ClientError(.local, "cannot write \(out): \(error.message)")
        }
        let summary = Summary(file: out, packets: result.packets, leaves: result.leaves, withheldBodies: result.withheldBodies, notHeld: result.notHeld, exportLeaf: result.exportLeaf,
                              bytes: result.bytes.count)
        Terminal.emit(summary, json: global.json, human: """
            Exported \(result.packets) packet\(result.packets == 1 ? "" : "s") and \(result.leaves) log events to \(out) (\(result.bytes.count) bytes).
            \(result.withheldBodies == 0 ? "Every body is provable." : "\(result.withheldBodies) bod\(result.withheldBodies == 1 ? "y is" : "ies are") withheld or not held by you (see the report).")\
            \(result.notHeld == 0 ? "" : "\n\(result.notHeld) packet\(result.notHeld == 1 ? "" : "s") you have not opened (or whose content was purged) \(result.notHeld == 1 ? "is" : "are") in the report but not the bundle: `isr read` \(result.notHeld == 1 ? "it" : "them") first to include \(result.notHeld == 1 ? "it" : "them").")
            The export is recorded in the relay's audit log (leaf \(result.exportLeaf)). Check it anywhere with: isr verify-bundle \(out)
            """)
    }
}

/// `isr verify-bundle FILE`: offline, with no home, relay or network.
struct VerifyBundle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-bundle",
        abstract: "Verify an evidence bundle offline and print what it proves (exit 4 if anything does not verify).")
    @Argument(help: "The bundle file.") var file: String
    @Option(name: .customLong("admin-key"), help: "The deployment admin key fingerprint you expect (refused if the bundle's differs).") var adminKey: String?
    @Option(name: .customLong("relay-key"), help: "The relay key fingerprint you expect (refused if the bundle's differs).") var relayKey: String?
    @Flag(name: .long, help: "Print one JSON object instead of readable text.") var json = false

    func run() throws {
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(file, limit: CanonicalTar.maximumBytes)
        } catch {
            throw ClientError(.local, "cannot read the bundle \(file): \(error.message)")
        }
        let verification: BundleVerification
        do {
            verification = try BundleVerifier.verify(bytes, adminKey: adminKey, relayKey: relayKey)
        } catch {
            throw ClientError(.verification, "\(file) does not verify: \(error.message)")
        }
        Terminal.emit(verification, json: json, human: verification.text)
    }
}
