import Foundation
import ISRClient
import ISRCrypto

/// Output for people and scripts: readable text, or one JSON object with `--json`; errors on stderr.
enum Terminal {
    static func error(_ message: String, hint: String? = nil) {
        var text = ""
        for (index, line) in message.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            text += (index == 0 ? "isr: error: " : "isr: error: ") + line + "\n"
        }
        if let hint { text += "isr: hint: \(hint)\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints `value` as JSON when `json`, else `human`.
    static func emit(_ value: some Encodable, json: Bool, human: @autoclosure () -> String) {
        if json {
            let data = (try? ISRJSON.encoder().encode(value)) ?? Data("{}".utf8)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(human())
        }
    }

    /// One line of a stream (`isr watch`), flushed at once so a pipe reader sees it as it happens.
    static func line(_ value: some Encodable, json: Bool, human: @autoclosure () -> String) {
        emit(value, json: json, human: human())
        fflush(nil)  // every output stream; naming stdout is not concurrency-safe in Swift 6
    }

    /// A progress line on stderr, so that stdout stays the command's result.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data(("isr: " + text + "\n").utf8))
    }

    /// From 30 days before the home's client certificate expires, every command that talks to the relay says so.
    static func warnIfCertificateExpiring(_ home: ISRHome, now: Date = Date()) {
        guard let expiry = home.certificateExpiry(), expiry.timeIntervalSince(now) < 30 * 86_400 else { return }
        let days = Int(expiry.timeIntervalSince(now) / 86_400)
        let when = ISO8601DateFormatter().string(from: expiry)
        note(expiry < now ? "warning: your certificate expired at \(when); ask your admin to re-enrol you"
                          : "warning: your certificate expires at \(when) (in \(days) days); run `isr renew` now")
    }

    /// Text from the relay or another member with control characters made visible, so none can drive the terminal.
    static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "\u{FFFD}" : $0 }))
    }

    /// Left-aligned columns for human tables (cells cleaned of control characters).
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows.map { $0.map(clean) }
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
