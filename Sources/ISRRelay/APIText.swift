import Foundation
import ISRPacket

/// Free text that arrives in a JSON body (agency and display names, reasons), checked exactly as `openapi.yaml` states
/// it so that the document and the relay cannot disagree: lengths in Unicode scalars (JSON Schema's `maxLength` unit),
/// at least one character that is not white space, and no control characters (`PlainText`).
enum APIText {
    /// The text with surrounding white space trimmed, or nil when it breaks the rules; `singleLine` also refuses tab and
    /// newline anywhere (names are shown on one line in terminals and lists).
    static func validated(_ raw: String, maximum: Int, singleLine: Bool) -> String? {
        guard (1...maximum).contains(raw.unicodeScalars.count), PlainText.isValid(raw),
              raw.unicodeScalars.contains(where: { !$0.properties.isWhitespace }),
              !singleLine || !raw.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\t" }) else { return nil }
        return raw.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
