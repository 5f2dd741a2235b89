/// Hard bounds on packets. Everything from the network or a file is bounded before it is parsed.
public struct PacketLimits: Sendable, Equatable {
    /// The whole encoded packet (DESIGN.md: a few KiB; default hard limit 64 KiB).
    public var maximumPacketBytes: Int
    /// Addresses in a header (members or role addresses).
    public var maximumRecipients: Int
    /// Stanzas (a role address expands to each current member).
    public var maximumStanzas: Int

    public static let standard = PacketLimits(maximumPacketBytes: 64 * 1024, maximumRecipients: 32, maximumStanzas: 128)

    public init(maximumPacketBytes: Int, maximumRecipients: Int, maximumStanzas: Int) {
        self.maximumPacketBytes = maximumPacketBytes
        self.maximumRecipients = maximumRecipients
        self.maximumStanzas = maximumStanzas
    }

    /// Field names in a header and fields in a body.
    public static let maximumFields = 64
    /// Items in a body.
    public static let maximumItems = 256
    /// Bytes in one code (purpose, lawful basis, field name).
    public static let maximumCodeBytes = 64
    /// Bytes in an opaque subject reference.
    public static let maximumSubjectReferenceBytes = 64
    /// Bytes in one free-text value (item text, statement, reasons).
    public static let maximumTextBytes = 16 * 1024
    /// Retention, in days (a century).
    public static let maximumRetentionDays = 36_500
}
