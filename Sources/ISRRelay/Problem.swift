import Foundation
import Hummingbird
import ISRPacket
import ISRRelayAPI
import ISRPolicy
import ISRStore

/// An RFC 9457 problem: every refusal the relay gives is one of these, as `application/problem+json`,
/// with a stable `type` code and a `detail` that says what to do. Never a 500 for bad input.
public struct Problem: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    /// A stable code, e.g. `packet.bad-signature`; also the last segment of the `type` URI.
    public let code: String
    public let title: String
    public let detail: String
    /// For policy refusals: every rule broken, so a client can show them all at once.
    public let violations: [PolicyViolationBody]

    public struct PolicyViolationBody: Codable, Sendable, Equatable {
        public let rule: String
        public let message: String
    }

    public init(_ status: HTTPResponse.Status, code: String, title: String, detail: String, violations: [PolicyViolationBody] = []) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.violations = violations
    }

    struct Body: Codable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let code: String
        let violations: [PolicyViolationBody]?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(type: "https://isr.invalid/problems/\(code)", title: title, status: status.code, detail: detail, code: code,
                        violations: violations.isEmpty ? nil : violations)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(body)
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Problem {
    static func badRequest(_ code: String, _ detail: String) -> Problem { Problem(.badRequest, code: code, title: "Bad request", detail: detail) }
    static func forbidden(_ code: String, _ detail: String) -> Problem { Problem(.forbidden, code: code, title: "Forbidden", detail: detail) }
    static func notFound(_ detail: String) -> Problem { Problem(.notFound, code: "not-found", title: "Not found", detail: detail) }
    static func conflict(_ code: String, _ detail: String) -> Problem { Problem(.conflict, code: code, title: "Conflict", detail: detail) }
    static func unprocessable(_ code: String, _ detail: String) -> Problem { Problem(.unprocessableContent, code: code, title: "Refused", detail: detail) }

    /// Packet-format refusals: size is 413, signature and sender problems 403/422, malformed input 400.
    static func packet(_ error: PacketError) -> Problem {
        switch error.code {
        case .tooLarge: Problem(.contentTooLarge, code: error.code.rawValue, title: "Packet too large", detail: error.message)
        case .senderMismatch: forbidden(error.code.rawValue, error.message)
        case .badSignature, .invalidHeader, .recipientKeys, .fieldsMismatch, .invalidBody, .bodyTampered, .notForRecipient, .stanzaUnreadable:
            unprocessable(error.code.rawValue, error.message)
        case .truncated, .malformed, .unsupportedVersion: badRequest(error.code.rawValue, error.message)
        }
    }

    static func policy(_ violations: [PolicyViolation]) -> Problem {
        Problem(.unprocessableContent, code: "policy.refused", title: "Refused by the purpose policy",
                detail: violations.map(\.message).joined(separator: "; "),
                violations: violations.map { PolicyViolationBody(rule: $0.rule.rawValue, message: $0.message) })
    }

    /// Store errors: conflicts and wrong states are the client's to fix (409); an unavailable store is 503.
    static func store(_ error: StoreError) -> Problem {
        switch error.code {
        case .notFound: notFound(error.message)
        case .alreadyExists, .packetConflict, .invalidTransition: conflict(error.code.rawValue, error.message)
        case .unavailable, .corrupt:
            Problem(.serviceUnavailable, code: error.code.rawValue, title: "Store unavailable", detail: "the relay cannot reach its store; try again shortly")
        }
    }
}
