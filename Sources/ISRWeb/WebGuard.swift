import Foundation

import Hummingbird
import ISRCrypto

/// The web app's door, like a well-made local admin GUI: only loopback `Host` names (DNS rebinding), the per-run token
/// from the URL `isr ui` printed exchanged once for an `HttpOnly`, `SameSite=Strict` cookie, a CSRF token on every form,
/// and headers that forbid framing (CSP `frame-ancestors`), sniffing, caching and any script or style not served by the app itself.
struct WebGuard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let secrets: WebSecrets
    let port: Int

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .cacheControl: "no-store",
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await guarded(request, context: context, next: next)
        for field in Self.securityHeaders { response.headers[field.name] = field.value }
        return response
    }

    func guarded(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // HTTP/1 puts the Host header into the request's authority.
        guard let host = request.head.authority, allowedHosts.contains(host.lowercased()) else {
            return Self.refusal(.misdirectedRequest, "This page is served only as http://127.0.0.1:\(port) or http://localhost:\(port).")
        }
        if let token = request.uri.queryParameters.get("token") {
            guard ConstantTime.equal(Array(token.utf8), Array(secrets.urlToken.utf8)) else {
                return Self.refusal(.forbidden, "This link is not the one `isr ui` printed; open that one.")
            }
            // The token leaves the address bar at once: it becomes a cookie only this app's pages send.
            var response = Response.redirect(to: request.uri.path.isEmpty ? "/" : request.uri.path, type: .found)
            response.setCookie(Cookie(name: secrets.cookieName, value: secrets.cookieValue, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        guard let cookie = request.cookies[secrets.cookieName], ConstantTime.equal(Array(cookie.value.utf8), Array(secrets.cookieValue.utf8)) else {
            return Self.refusal(.forbidden, "Open the link `isr ui` printed in your terminal (it carries this session's key).")
        }
        if request.method == .post {
            // Forms are read here once (bounded), checked for the CSRF token, and handed on in the context.
            var request = request
            let form = try await WebForm(request: &request, context: context)
            guard let csrf = form.value("csrf"), ConstantTime.equal(Array(csrf.utf8), Array(secrets.csrf.utf8)) else {
                return Self.refusal(.forbidden, "This form is out of date or did not come from this app; go back, reload the page and try again.")
            }
            return try await next(request, context)
        }
        return try await next(request, context)
    }

    var allowedHosts: Set<String> { ["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"] }

    static func refusal(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ISR</title></head><body><main><h1>Refused</h1><p>\(WebText.escape(message))</p></main></body></html>"
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// The per-run secrets: the URL token, the cookie it is exchanged for, and the CSRF token forms carry.
public struct WebSecrets: Sendable {
    public let urlToken: String
    public let cookieValue: String
    public let csrf: String
    public let cookieName: String

    /// Fresh random secrets (32 bytes each, hex); the cookie is named after the port so two apps on one machine do not collide.
    public init(port: Int) {
        func random() -> String { SecretBytes.random(count: 32).withUnsafeBytes { Hex.encode(Array($0)) } }
        urlToken = random()
        cookieValue = random()
        csrf = random()
        cookieName = "isr_ui_\(port)"
    }
}
