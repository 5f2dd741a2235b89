/// The domain-separation label that every ISR signature carries, so a signature made for one use
/// (a packet header) can never be replayed as another (a receipt, a directory entry).
///
/// The signed message is `UTF-8(label) || 0x00 || data`. Labels never contain 0x00.
public struct SignatureContext: Sendable, Hashable, CustomStringConvertible {
    /// The label, e.g. `isr/v1/header`.
    public let label: String

    /// A context for a use not listed below; `label` must be ASCII `isr/v<N>/<name>` and must not contain 0x00.
    public init(_ label: String) throws(CryptoError) {
        guard label.hasPrefix("isr/v"), label.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw CryptoError(.invalidContext, "signature context `\(label)` must be printable ASCII starting with `isr/v`")
        }
        self.label = label
    }

    private init(known: String) { label = known }

    /// A packet: its header bytes followed by the digest of its stanzas and body.
    public static let header = SignatureContext(known: "isr/v1/header")
    /// A recipient's signed delivery receipt.
    public static let receipt = SignatureContext(known: "isr/v1/receipt")
    /// A dsl/manager countersignature releasing a held packet.
    public static let countersign = SignatureContext(known: "isr/v1/countersign")
    /// A dsl/manager's return of a held packet to its sender, with reasons.
    public static let countersignReturn = SignatureContext(known: "isr/v1/countersign-return")
    /// A directory entry signed by the deployment admin.
    public static let directoryEntry = SignatureContext(known: "isr/v1/directory-entry")
    /// A practitioner's key request: their signing key vouches for their certificate request and encryption key.
    public static let enrolmentRequest = SignatureContext(known: "isr/v1/enrolment-request")
    /// A relay-signed audit checkpoint (tree size, root, time).
    public static let checkpoint = SignatureContext(known: "isr/v1/checkpoint")
    /// A relay-signed escalation notice for an overdue packet.
    public static let escalation = SignatureContext(known: "isr/v1/escalation")
    /// A member's signature over an evidence bundle's manifest (every file's SHA-256).
    public static let bundleManifest = SignatureContext(known: "isr/v1/bundle-manifest")

    public var description: String { label }

    /// `label || 0x00 || data`: the exact bytes Ed25519 signs.
    func message(for data: some ContiguousByteStorage) -> [UInt8] {
        var message = Array(label.utf8)
        message.append(0)
        data.withUnsafeBytes { message.append(contentsOf: $0) }
        return message
    }
}
