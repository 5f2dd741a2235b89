import Foundation
import ISRAudit
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRPolicy
import ISRStore
import Logging

/// The relay's rules, independent of HTTP: who may do what to which packet, what the policy allows, and what
/// is recorded. Routes translate requests into calls here; everything refused is a `RelayRefusal`.
public struct RelayService: Sendable {
    public let store: any RelayStore
    public let policy: Policy
    public let calendar: WorkingCalendar
    public let limits: PacketLimits
    /// Signs checkpoints and escalation notices.
    public let relayKey: SigningKeyPair
    /// Names this relay's audit log in its checkpoints.
    public let origin: String
    /// Issues members' client certificates at enrolment (nil: enrolment is refused).
    public let certificateAuthority: DeploymentCA?
    /// Unix milliseconds; injectable so tests can move time.
    public let clock: @Sendable () -> Int64
    public let logger: Logger
    /// The last signed checkpoint, shared by answers while the log has not grown.
    let checkpoints = CheckpointCache()
    /// How long the member certificates this relay issues last (`tls.member_certificate_days`).
    public var memberCertificateDays = 365
    /// Failed invitation-code attempts per address.
    let enrolmentThrottle = EnrolmentThrottle()

    public init(store: any RelayStore, policy: Policy, calendar: WorkingCalendar, limits: PacketLimits, relayKey: SigningKeyPair, origin: String,
                certificateAuthority: DeploymentCA?, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                logger: Logger) {
        self.store = store
        self.policy = policy
        self.calendar = calendar
        self.limits = limits
        self.relayKey = relayKey
        self.origin = origin
        self.certificateAuthority = certificateAuthority
        self.clock = clock
        self.logger = logger
    }

    /// Runs a store call, turning its errors into problems.
    func stored<T>(_ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer { RelayMetrics.storeDuration(ContinuousClock.now - start) }
        do {
            return try await body()
        } catch let error as StoreError {
            if error.code == .unavailable || error.code == .corrupt {
                logger.error("store failure", metadata: ["code": "\(error.code.rawValue)"])
            }
            throw RelayRefusal.store(error)
        }
    }

    func event(_ kind: String, by actor: String, packet: PacketID? = nil, _ attributes: [String: String] = [:]) -> AuditEvent {
        AuditEvent(kind: kind, time: clock(), actor: actor, packetID: packet?.bytes, attributes: attributes)
    }
}
