import Foundation
import Hummingbird
import ISRClient
import ISRRecord
import NIOCore

/// The record of a case: its chronology (the same `Chronology` as `isr record`) and an evidence bundle to download
/// (the same `RecordExport` as `isr export`), so a practitioner can answer "who was told what, when, and what did
/// they understand?" without a terminal.
extension WebApp {
    func record(reference: String?) async throws -> Response {
        guard let reference, !reference.isEmpty else {
            return renderer.page("record", title: "Case record", ["asked": false])
        }
        let held = try await session.record(subjectReference: reference)
        let entries = Chronology.build(held.map(\.record)).map { entry -> [String: Any] in
            ["at": RecordTime.text(entry.at), "actor": entry.actor, "step": entry.step, "kind": entry.kind, "purpose": entry.purpose,
             "to": entry.to.joined(separator: ", "), "hasTo": !entry.to.isEmpty, "packet": entry.packet, "short": String(entry.packet.prefix(8)),
             "answers": entry.answers.map { String($0.prefix(8)) } as Any,
             "detail": entry.detail.map { line -> [String: Any] in
                 for tag in ["FACT", "OPINION", "REPORTED"] where line.hasPrefix("[\(tag)] ") {
                     return ["tag": tag.lowercased(), "text": String(line.dropFirst(tag.count + 3))]
                 }
                 return ["text": line]
             }]
        }
        return renderer.page("record", title: "Case record \(reference)", [
            "asked": true, "reference": reference, "entries": entries, "none": entries.isEmpty, "count": held.count,
        ])
    }

    /// The bundle as a download; the export is recorded in the relay's audit log before it is sent.
    func exportRecord(_ form: WebForm) async throws -> Response {
        guard let reference = form.value("subject_ref") else { throw ClientError(.usage, "name the case reference to export") }
        let redact = (form.value("redact") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let held = try await session.record(subjectReference: reference)
        let result = try await RecordExport.run(session, packets: held, subjectReference: reference, redact: redact)
        let name = "isr-record-\(reference.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }).tar"
        return Response(status: .ok, headers: [.contentType: "application/x-tar", .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: result.bytes)))
    }
}
