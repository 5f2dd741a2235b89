import Foundation
import ISRRelayAPI

/// The bundle's human-readable report: one self-contained HTML file (no scripts, no external assets) with a print
/// stylesheet, so it opens in any browser and prints cleanly to PDF for a court, a review or the child's file.
public struct RecordReport: Sendable {
    public var subjectReference: String?
    public var exporter: String
    public var exportedAt: Int64
    public var origin: String
    public var logSize: UInt64
    public var entries: [ChronologyEntry]
    public var packets: [PacketStatus]
    public var redactedFields: [String]
    /// Member id → "Name, Agency" for the people named.
    public var names: [String: String]

    public init(subjectReference: String?, exporter: String, exportedAt: Int64, origin: String, logSize: UInt64, entries: [ChronologyEntry],
                packets: [PacketStatus], redactedFields: [String], names: [String: String]) {
        self.subjectReference = subjectReference
        self.exporter = exporter
        self.exportedAt = exportedAt
        self.origin = origin
        self.logSize = logSize
        self.entries = entries
        self.packets = packets
        self.redactedFields = redactedFields
        self.names = names
    }

    static func escape(_ text: String) -> String { HTMLText.escape(text) }

    func who(_ member: String) -> String {
        names[member].map { "\(Self.escape(member)) <span class=\"name\">(\(Self.escape($0)))</span>" } ?? Self.escape(member)
    }

    func detailLine(_ line: String) -> String {
        for tag in ["FACT", "OPINION", "REPORTED"] where line.hasPrefix("[\(tag)] ") {
            return "<li><span class=\"tag \(tag.lowercased())\">\(tag.lowercased())</span> \(Self.escape(String(line.dropFirst(tag.count + 3))))</li>"
        }
        return "<li>\(Self.escape(line).replacingOccurrences(of: Chronology.withheld, with: "<span class=\"withheld\">withheld</span>"))</li>"
    }

    public var html: String {
        let title = "ISR record" + (subjectReference.map { " — subject \($0)" } ?? "")
        var rows = ""
        for entry in entries {
            let to = entry.to.isEmpty ? "" : "<div class=\"to\">to \(entry.to.map(who).joined(separator: ", "))</div>"
            let answers = entry.answers.map { "<div class=\"ref\">answers <code>\(Self.escape($0))</code></div>" } ?? ""
            let detail = entry.detail.isEmpty ? "" : "<ul>\(entry.detail.map(detailLine).joined())</ul>"
            rows += """
                <tr><td class="when">\(Self.escape(RecordTime.text(entry.at)))</td><td>\(who(entry.actor))</td>\
                <td><strong>\(Self.escape(entry.step))</strong> <span class="kind">\(Self.escape(entry.kind)) · \(Self.escape(entry.purpose))</span>\(to)\(answers)\(detail)\
                <div class="ref">packet <code>\(Self.escape(entry.packet))</code>\(entry.leafIndex.map { " · log leaf \($0)" } ?? "")</div></td></tr>

                """
        }
        var states = ""
        for packet in packets where !packet.recipients.isEmpty {
            let recipients = packet.recipients.map { r in
                "<li>\(who(r.member)): <strong>\(Self.escape(r.state))</strong>\(r.answeredBy.map { " by \(who($0))" } ?? "")\(r.overdue ? " <span class=\"overdue\">overdue</span>" : "")</li>"
            }.joined()
            states += "<li><code>\(Self.escape(packet.id))</code> \(Self.escape(packet.kind)) · \(Self.escape(packet.purpose)) from \(who(packet.sender))<ul>\(recipients)</ul></li>\n"
        }
        let redaction = redactedFields.isEmpty ? "" : """
            <p class="notice" role="note"><strong>Redacted for disclosure.</strong> Withheld: \(Self.escape(redactedFields.joined(separator: ", "))). \
            The bodies that held them cannot be re-checked against their signed ciphertext; every signature, receipt and log entry still verifies.</p>
            """
        return """
            <!DOCTYPE html>
            <html lang="en-GB">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>\(Self.escape(title))</title>
            <style>
            body { font: 11pt/1.45 system-ui, sans-serif; color: #111; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
            h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #999; }
            table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: .45rem .5rem; border-bottom: 1px solid #ccc; }
            th { background: #eee; } td.when { white-space: nowrap; font-variant-numeric: tabular-nums; }
            ul { margin: .3rem 0 0 1.1rem; padding: 0; } .kind, .ref, .name, .to { color: #444; font-size: .9em; }
            code { font-size: .85em; word-break: break-all; }
            .tag { display: inline-block; min-width: 4.8em; font-size: .8em; font-weight: 700; text-transform: uppercase; border: 1px solid; padding: 0 .25em; margin-right: .3em; text-align: center; }
            .tag.fact { color: #064; } .tag.opinion { color: #614; } .tag.reported { color: #640; }
            .withheld { background: #111; color: #fff; padding: 0 .3em; } .overdue { color: #a00; font-weight: 700; }
            .notice { border: 2px solid #111; padding: .5rem .75rem; } dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dt { font-weight: 600; }
            @media print {
              body { margin: 0; max-width: none; font-size: 10pt; } h2 { break-after: avoid; } tr { break-inside: avoid; }
              a { color: inherit; text-decoration: none; } @page { margin: 15mm; @bottom-right { content: counter(page) " / " counter(pages); } }
            }
            </style>
            </head>
            <body>
            <header>
            <h1>\(Self.escape(title))</h1>
            <dl>
            <dt>Exported by</dt><dd>\(who(exporter))</dd>
            <dt>Exported at</dt><dd>\(Self.escape(RecordTime.text(exportedAt)))</dd>
            <dt>Audit log</dt><dd>\(Self.escape(origin)), \(logSize) events when exported</dd>
            <dt>Packets</dt><dd>\(packets.count)</dd>
            </dl>
            \(redaction)
            </header>
            <main>
            <h2>Chronology</h2>
            <table>
            <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            <h2>Where each recipient stands</h2>
            <ul>
            \(states)</ul>
            <h2>How to check this record</h2>
            <p>This report is one file of an ISR evidence bundle. Run <code>isr verify-bundle BUNDLE</code> (no relay, account or network needed):
            it checks every packet's signature, every body whose key is included, every signed receipt and countersignature, and every event's
            inclusion in the relay's signed audit log, and says exactly what is proven. Items are labelled <span class="tag fact">fact</span>
            <span class="tag opinion">opinion</span> <span class="tag reported">reported</span> as their author labelled them.</p>
            </main>
            </body>
            </html>

            """
    }
}

/// HTML escaping for text put into markup (the report, and the web app's few strings not rendered by a template).
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
