import ISRPacket
import Synchronization

/// What a client certificate says, keyed by its exact DER bytes: the member id in its SAN and its SHA-256
/// fingerprint. Parsing X.509 on every request of a keep-alive connection was a visible share of the relay's CPU;
/// the certificate's validity is still checked by TLS at every handshake, and the member's status on every request.
final class CertificateIdentityCache: Sendable {
    struct Identity: Sendable {
        let member: MemberID
        let fingerprint: String
    }

    private let entries = Mutex<[[UInt8]: Identity]>([:])
    /// Bounded: when full it starts again (members re-parse once).
    static let capacity = 20_000

    func identity(for der: [UInt8]) -> Identity? {
        entries.withLock { $0[der] }
    }

    func remember(_ identity: Identity, for der: [UInt8]) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[der] = identity
        }
    }
}
