/// Finds text that could identify a child — NHS numbers, UK postcodes, full dates (dates of birth), phone
/// numbers, e-mail addresses — so an anonymous consultation can be refused before anything leaves the machine.
///
/// It errs towards flagging: a full date in an anonymous consultation is refused even if it is not a birth date
/// ("aged 9", "last Tuesday" say enough without identifying anyone).
public enum IdentifierScanner {
    public enum Kind: String, Sendable, CaseIterable {
        case nhsNumber = "NHS number"
        case postcode = "UK postcode"
        case dateOfBirth = "full date (possible date of birth)"
        case phoneNumber = "phone number"
        case email = "e-mail address"
    }

    /// One suspected identifier, located by 1-based character positions so a person can find it.
    public struct Finding: Sendable, Equatable {
        public let kind: Kind
        public let text: String
        /// Characters (not bytes), 1-based, inclusive.
        public let firstCharacter: Int
        public let lastCharacter: Int
    }

    /// Every suspected identifier in `text`, in order of position; overlapping weaker matches are dropped.
    public static func scan(_ text: String) -> [Finding] {
        var findings: [(Range<String.Index>, Kind)] = []
        func add(_ range: Range<String.Index>, _ kind: Kind) {
            guard !findings.contains(where: { $0.0.overlaps(range) }) else { return }
            findings.append((range, kind))
        }
        // Swift's regex engine has no lookbehind: the character before a match is checked here instead.
        func startsCleanly(_ range: Range<String.Index>, notAfter forbidden: (Character) -> Bool) -> Bool {
            guard range.lowerBound > text.startIndex else { return true }
            return !forbidden(text[text.index(before: range.lowerBound)])
        }
        let digit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
        // Order matters: a valid NHS number is reported as such, not as a phone number or a date.
        for match in text.matches(of: /[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}(?![0-9])/)
        where startsCleanly(match.range, notAfter: digit) && isValidNHSNumber(text[match.range]) {
            add(match.range, .nhsNumber)
        }
        for match in text.matches(of: /(?i)[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9])/) {
            add(match.range, .email)
        }
        for match in text.matches(of: /(?:\+44[ -]?(?:\(0\)[ -]?)?|\(?0)[0-9](?:(?:\) ?|[ -])?[0-9]){8,9}(?![0-9])/)
        where startsCleanly(match.range, notAfter: { digit($0) || $0 == "+" }) {
            add(match.range, .phoneNumber)
        }
        let dates: [Regex<Substring>] = [
            /[0-3]?[0-9][\/.-][01]?[0-9][\/.-](?:19|20)?[0-9]{2}(?![0-9])/,
            /(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?![0-9])/,
            /(?i)[0-3]?[0-9](?:st|nd|rd|th)?(?: of)? (?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?),? (?:19|20)[0-9]{2}(?![0-9])/,
            /(?i)\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?) [0-3]?[0-9](?:st|nd|rd|th)?,? (?:19|20)[0-9]{2}(?![0-9])/,
        ]
        for regex in dates {
            for match in text.matches(of: regex) where startsCleanly(match.range, notAfter: digit) { add(match.range, .dateOfBirth) }
        }
        for match in text.matches(of: /(?i)\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})\b/) {
            add(match.range, .postcode)
        }
        return findings.sorted { $0.0.lowerBound < $1.0.lowerBound }.map { range, kind in
            let first = text.distance(from: text.startIndex, to: range.lowerBound) + 1
            return Finding(kind: kind, text: String(text[range]), firstCharacter: first, lastCharacter: first + text[range].count - 1)
        }
    }

    /// NHS numbers: ten digits whose last is the modulus-11 check digit of the first nine (weights 10 down to 2).
    public static func isValidNHSNumber(_ candidate: Substring) -> Bool {
        let digits = candidate.compactMap { $0.wholeNumberValue }
        guard digits.count == 10, candidate.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == " " || $0 == "-") }) else { return false }
        let sum = zip(digits.prefix(9), stride(from: 10, through: 2, by: -1)).reduce(0) { $0 + $1.0 * $1.1 }
        let check = 11 - sum % 11
        switch check {
        case 11: return digits[9] == 0
        case 10: return false
        default: return digits[9] == check
        }
    }
}
