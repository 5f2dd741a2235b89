import ISRCrypto

/// Why a packet could not be built or was refused on opening. The code is stable: test vectors, the relay's
/// problem documents and the CLI match on it. Messages never contain packet content or subject references.
public typealias PacketError = CodedError<PacketErrorCode>

/// The stable codes of `PacketError`, one per way a packet can be refused.
public enum PacketErrorCode: String, Sendable, CaseIterable {
    /// Larger than the configured hard limit (default 64 KiB).
    case tooLarge = "packet.too-large"
    /// The bytes end before the structure does.
    case truncated = "packet.truncated"
    /// Not a well-formed, canonical (DER) ISR packet.
    case malformed = "packet.malformed"
    /// A packet version this implementation does not read.
    case unsupportedVersion = "packet.unsupported-version"
    /// The header signature does not verify against the expected sender's key.
    case badSignature = "packet.bad-signature"
    /// The signed header names another sender than the one expected (e.g. the TLS identity).
    case senderMismatch = "packet.sender-mismatch"
    /// A header field is missing, out of range or not canonical.
    case invalidHeader = "packet.invalid-header"
    /// A body field is missing, out of range or not canonical.
    case invalidBody = "packet.invalid-body"
    /// No stanza is addressed to this recipient.
    case notForRecipient = "packet.not-for-recipient"
    /// This recipient's stanza does not open with their key.
    case stanzaUnreadable = "packet.stanza-unreadable"
    /// The body does not authenticate under the content key and header: it was altered or never matched this header.
    case bodyTampered = "packet.body-tampered"
    /// The body's field names differ from the field names its header declares.
    case fieldsMismatch = "packet.fields-mismatch"
    /// A recipient named in the header has no key to seal to, or a key was given for someone not addressed.
    case recipientKeys = "packet.recipient-keys"
}
