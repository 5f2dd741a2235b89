/// The grammar of codes (purposes, lawful bases, field names, agency kinds), shared with the policy.
public enum PacketCode {
    /// 1–64 of `a-z 0-9 _ -`, starting with a letter.
    public static func isValid(_ text: String) -> Bool { TextRules.isCode(text) }
}

/// The grammar of subject references: opaque case references, never names.
public enum SubjectReference {
    /// 1–64 of `A-Z a-z 0-9 . _ : -`.
    public static func isValid(_ text: String) -> Bool { TextRules.isSubjectReference(text) }
}

/// The free-text grammar of packets, for other short texts the relay takes (reasons for a return or an emergency release).
public enum PlainText {
    /// Valid UTF-8 of at most 16 KiB with no control characters but TAB and LF; `allowEmpty` false refuses "".
    public static func isValid(_ text: String, allowEmpty: Bool = false) -> Bool { TextRules.isText(text, allowEmpty: allowEmpty) }
}

/// The validation every string in a packet gets, so that one value has one encoding and no string can
/// smuggle terminal control sequences into a practitioner's screen.
enum TextRules {
    /// A code: 1–64 of `a-z 0-9 _ -`, starting with a letter (purposes, lawful bases, field names, kinds).
    static func isCode(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...PacketLimits.maximumCodeBytes).contains(bytes.count), let first = bytes.first, (0x61...0x7a).contains(first) else { return false }
        return bytes.allSatisfy { $0.isLowerAlnum || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// An opaque subject reference: 1–64 of `A-Z a-z 0-9 . _ : -`. It must not be an identity (a name, a date of birth).
    static func isSubjectReference(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...PacketLimits.maximumSubjectReferenceBytes).contains(bytes.count) else { return false }
        return bytes.allSatisfy { $0.isLowerAlnum || (0x41...0x5a).contains($0) || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-")].contains($0) }
    }

    /// Free text: valid UTF-8 (checked when decoding), at most 16 KiB, and no control characters other than tab and newline.
    static func isText(_ text: String, allowEmpty: Bool) -> Bool {
        let count = text.utf8.count
        guard count <= PacketLimits.maximumTextBytes, allowEmpty || count > 0 else { return false }
        return text.unicodeScalars.allSatisfy { scalar in
            scalar == "\n" || scalar == "\t" || !(scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029 || (0x202a...0x202e).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value))
        }
    }

    /// A calendar date `YYYY-MM-DD` (proleptic Gregorian, years 1900–2199).
    static func isDate(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1900...2199).contains(year), (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// True if `values` is strictly increasing in byte order: sorted and without duplicates.
    static func isStrictlySorted(_ values: [String]) -> Bool {
        zip(values, values.dropFirst()).allSatisfy { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
    }
}
