import ISRPacket
import ISRPolicy
import ISRStore

/// Why the relay refused a request, as a domain error: a kind of refusal, a stable code and a detail that says what
/// to do. The service and its helpers throw these; the HTTP layer renders them as RFC 9457 problems (`Problem`).
public struct RelayRefusal: Error, Sendable, Equatable {
    /// The kind of refusal; the HTTP layer maps each to one status.
    public enum Kind: String, Sendable, CaseIterable {
        case badRequest, forbidden, notFound, conflict, unprocessableContent, contentTooLarge, gone, tooManyRequests, serviceUnavailable, internalServerError
    }

    /// One policy rule broken, for refusals that list them all.
    public struct Violation: Codable, Sendable, Equatable {
        public let rule: String
        public let message: String
    }

    public let kind: Kind
    /// A stable code, e.g. `packet.bad-signature`.
    public let code: String
    public let title: String
    public let detail: String
    public let violations: [Violation]
    /// For `tooManyRequests`: seconds before trying again (the `Retry-After` header).
    public var retryAfter: Int?

    public init(_ kind: Kind, code: String, title: String, detail: String, violations: [Violation] = [], retryAfter: Int? = nil) {
        self.retryAfter = retryAfter
        self.kind = kind
        self.code = code
        self.title = title
        self.detail = detail
        self.violations = violations
    }

    static func badRequest(_ code: String, _ detail: String) -> RelayRefusal { RelayRefusal(.badRequest, code: code, title: "Bad request", detail: detail) }
    static func forbidden(_ code: String, _ detail: String) -> RelayRefusal { RelayRefusal(.forbidden, code: code, title: "Forbidden", detail: detail) }
    static func notFound(_ detail: String) -> RelayRefusal { RelayRefusal(.notFound, code: "not-found", title: "Not found", detail: detail) }
    static func conflict(_ code: String, _ detail: String) -> RelayRefusal { RelayRefusal(.conflict, code: code, title: "Conflict", detail: detail) }
    static func unprocessable(_ code: String, _ detail: String) -> RelayRefusal { RelayRefusal(.unprocessableContent, code: code, title: "Refused", detail: detail) }

    /// Packet-format refusals: size is too large, sender problems forbidden, bad content unprocessable, malformed input bad.
    static func packet(_ error: PacketError) -> RelayRefusal {
        switch error.code {
        case .tooLarge: RelayRefusal(.contentTooLarge, code: error.code.rawValue, title: "Packet too large", detail: error.message)
        case .senderMismatch: forbidden(error.code.rawValue, error.message)
        // The body is `application/octet-stream` of any bytes as far as the OpenAPI document can say: what its DER must
        // hold (PacketFormat.md) is content, so every packet-level refusal is 422, never 400 (a broken HTTP request).
        case .badSignature, .invalidHeader, .recipientKeys, .fieldsMismatch, .invalidBody, .bodyTampered, .notForRecipient, .stanzaUnreadable,
             .truncated, .malformed, .unsupportedVersion:
            unprocessable(error.code.rawValue, error.message)
        }
    }

    static func policy(_ violations: [PolicyViolation]) -> RelayRefusal {
        RelayRefusal(.unprocessableContent, code: "policy.refused", title: "Refused by the purpose policy",
                     detail: violations.map(\.message).joined(separator: "; "),
                     violations: violations.map { Violation(rule: $0.rule.rawValue, message: $0.message) })
    }

    /// Store errors: conflicts and wrong states are the client's to fix; an unavailable store is the relay's.
    static func store(_ error: StoreError) -> RelayRefusal {
        switch error.code {
        case .notFound: notFound(error.message)
        case .alreadyExists, .packetConflict, .invalidTransition: conflict(error.code.rawValue, error.message)
        case .outOfRange: unprocessable("audit.range", error.message)
        case .notActive: forbidden(error.code.rawValue, error.message)
        case .unavailable, .corrupt:
            RelayRefusal(.serviceUnavailable, code: error.code.rawValue, title: "Store unavailable", detail: "the relay cannot reach its store; try again shortly")
        }
    }
}
