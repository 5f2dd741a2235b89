/// A member or role address: `local@agency`, lowercase, e.g. `alice.smith@school-a` or `duty@devon-csc`.
///
/// One spelling per address (lowercase only) so that identity comparisons are byte comparisons.
public struct MemberID: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    /// `local` is 1–64 of `a-z 0-9 . _ -` starting with a letter or digit; `agency` is an `AgencyID`.
    public init(_ text: String) throws(PacketError) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, Self.isValidLocal(parts[0]), AgencyID.isValid(parts[1]) else {
            throw PacketError(.invalidHeader, "`\(text.prefix(140))` is not a member id; use name@agency in lowercase, e.g. alice.smith@school-a")
        }
        rawValue = text
    }

    /// The agency part.
    public var agency: AgencyID { AgencyID(unchecked: String(rawValue[rawValue.index(after: rawValue.firstIndex(of: "@") ?? rawValue.startIndex)...])) }

    /// The part before `@`.
    public var local: String { String(rawValue.prefix { $0 != "@" }) }

    public var description: String { rawValue }
    public static func < (a: MemberID, b: MemberID) -> Bool { Array(a.rawValue.utf8).lexicographicallyPrecedes(b.rawValue.utf8) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    static func isValidLocal(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first, first.isLowerAlnum else { return false }
        return bytes.allSatisfy { $0.isLowerAlnum || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}

/// An agency id: 1–63 of `a-z 0-9 -`, starting with a letter or digit (e.g. `devon-csc`).
public struct AgencyID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String) throws(PacketError) {
        guard Self.isValid(Substring(text)) else {
            throw PacketError(.invalidHeader, "`\(text.prefix(70))` is not an agency id; use lowercase letters, digits and hyphens, e.g. devon-csc")
        }
        rawValue = text
    }

    init(unchecked text: String) { rawValue = text }

    public var description: String { rawValue }
    public static func < (a: AgencyID, b: AgencyID) -> Bool { Array(a.rawValue.utf8).lexicographicallyPrecedes(b.rawValue.utf8) }

    static func isValid(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, first.isLowerAlnum else { return false }
        return bytes.allSatisfy { $0.isLowerAlnum || $0 == UInt8(ascii: "-") }
    }
}

extension UInt8 {
    var isLowerAlnum: Bool { (0x61...0x7a).contains(self) || (0x30...0x39).contains(self) }
}
