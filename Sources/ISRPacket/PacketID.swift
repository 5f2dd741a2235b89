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
        let digits = Array(hex.lowercased().utf8)
        guard digits.count == 2 * Self.byteCount else {
            throw PacketError(.invalidHeader, "a packet id is 32 hex digits; `\(hex.prefix(40))` is not")
        }
        var bytes: [UInt8] = []
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let hi = Self.nibble(digits[pair]), let lo = Self.nibble(digits[pair + 1]) else {
                throw PacketError(.invalidHeader, "a packet id is 32 hex digits; `\(hex.prefix(40))` is not")
            }
            bytes.append(hi << 4 | lo)
        }
        self.bytes = bytes
    }

    private init(valid: [UInt8]) { bytes = valid }

    public var hex: String { bytes.map { byte in String(Self.digits[Int(byte >> 4)]) + String(Self.digits[Int(byte & 15)]) }.joined() }
    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        try self.init(hex: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    private static let digits = Array("0123456789abcdef")

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
