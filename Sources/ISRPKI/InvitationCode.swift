import ISRCrypto

/// A one-time enrolment invitation code: 15 random bytes (120 bits) followed by a 10-byte tag of the inviting admin's
/// signing key (SHA-256 prefix), written `ISR-` + 40 base32 letters in groups of five. The relay stores only its SHA-256;
/// the practitioner's `isr` pins the admin key only if it matches the tag, so a relay cannot slip in another admin key.
public struct InvitationCode: Sendable {
    public static let secretByteCount = 15
    public static let tagByteCount = 10
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// The 25 code bytes.
    public let bytes: [UInt8]

    /// A fresh code vouching for `adminKey`.
    public static func generate(adminKey: SigningPublicKey) -> InvitationCode {
        let secret = SecretBytes.random(count: secretByteCount).withUnsafeBytes { Array($0) }
        return InvitationCode(bytes: secret + tag(of: adminKey))
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Parses a code as typed: case-insensitive, spaces and hyphens ignored, `ISR` prefix optional.
    public init(parsing text: String) throws(PKIError) {
        var letters = Array(text.uppercased().utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "-") })
        if letters.starts(with: Array("ISR".utf8)) { letters.removeFirst(3) }
        let count = Self.secretByteCount + Self.tagByteCount
        guard letters.count == count * 8 / 5 else {
            throw PKIError(.invitationCode, "an invitation code is ISR- followed by 40 letters and digits 2–7; check it was copied whole")
        }
        var bytes: [UInt8] = []
        var buffer: UInt64 = 0
        var bits = 0
        for letter in letters {
            guard let value = Self.alphabet.firstIndex(of: letter) else {
                throw PKIError(.invitationCode, "an invitation code holds only the letters A–Z and the digits 2–7")
            }
            buffer = buffer << 5 | UInt64(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt64(bits)))
            }
        }
        self.bytes = bytes
    }

    /// `ISR-XXXXX-XXXXX-…` (8 groups).
    public var text: String {
        var letters: [UInt8] = []
        var buffer: UInt64 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt64(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                letters.append(Self.alphabet[Int((buffer >> UInt64(bits)) & 31)])
            }
        }
        let groups = stride(from: 0, to: letters.count, by: 5).map { String(decoding: letters[$0..<min($0 + 5, letters.count)], as: UTF8.self) }
        return "ISR-" + groups.joined(separator: "-")
    }

    /// What the relay stores and looks codes up by.
    public var hash: [UInt8] { SHA256.hash(bytes) }

    /// True if the code was made by the admin holding `adminKey`.
    public func vouches(for adminKey: SigningPublicKey) -> Bool {
        ConstantTime.equal(Array(bytes.suffix(Self.tagByteCount)), Self.tag(of: adminKey))
    }

    static func tag(of key: SigningPublicKey) -> [UInt8] { Array(SHA256.hash(key.bytes).prefix(tagByteCount)) }
}
