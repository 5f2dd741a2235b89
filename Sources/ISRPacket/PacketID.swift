import ISRCrypto

/// A packet's identity: 128 random bits, written as 32 lowercase hex digits.
public struct PacketID: Sendable, Hashable, CustomStringConvertible, Codable {
    public static let byteCount = 16
    public let bytes: [UInt8]

    /// A fresh random id.
    public static func random() -> PacketID {
        PacketID(valid: SecretBytes.random(count: byteCount).withUnsafeBytes { Array($0) })
    }

    public init(bytes: some Collection<UInt8>) throws(PacketError) {
        guard bytes.count == Self.byteCount else {
            throw PacketError(.invalidHeader, "a packet id is 16 bytes, got \(bytes.count)")
        }
        self.bytes = Array(bytes)
    }

    /// Parses the 32-hex-digit form (lowercase or uppercase).
    public init(hex: String) throws(PacketError) {
        guard let bytes = Hex.decode(hex), bytes.count == Self.byteCount else {
            throw PacketError(.invalidHeader, "a packet id is 32 hex digits; `\(hex.prefix(40))` is not")
        }
        self.bytes = bytes
    }

    private init(valid: [UInt8]) { bytes = valid }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        try self.init(hex: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
