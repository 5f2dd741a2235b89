import Foundation
import Hummingbird
import ISRPacket
import ISRRelayAPI
import ISRPolicy
import ISRStore

/// An RFC 9457 problem: how the HTTP layer answers every refusal (`RelayRefusal`, or the framework's own), as
/// `application/problem+json` with a stable `type` code and a `detail` that says what to do. Never a 500 for bad input.
public struct Problem: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    /// A stable code, e.g. `packet.bad-signature`; also the last segment of the `type` URI.
    public let code: String
    public let title: String
    public let detail: String
    /// For policy refusals: every rule broken, so a client can show them all at once.
    public let violations: [PolicyViolationBody]
    /// Sent as `Retry-After` (seconds) with a 429.
    public var retryAfter: Int?
    /// Sent as `Allow` with a 405: the methods the path does answer.
    public var allow: [String]?

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
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow.joined(separator: ", ") }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Problem {
    /// The HTTP rendering of a domain refusal.
    init(_ refusal: RelayRefusal) {
        self.init(Self.status(refusal.kind), code: refusal.code, title: refusal.title, detail: refusal.detail,
                  violations: refusal.violations.map { PolicyViolationBody(rule: $0.rule, message: $0.message) })
        retryAfter = refusal.retryAfter
    }

    static func status(_ kind: RelayRefusal.Kind) -> HTTPResponse.Status {
        switch kind {
        case .badRequest: .badRequest
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unprocessableContent: .unprocessableContent
        case .contentTooLarge: .contentTooLarge
        case .gone: .gone
        case .tooManyRequests: .tooManyRequests
        case .serviceUnavailable: .serviceUnavailable
        case .internalServerError: .internalServerError
        }
    }
}
