import AsyncHTTPClient
import Crypto
import Foundation
import ISRCrypto
import NIOCore
import NIOHTTP1
import NIOSSL

/// POSTs one alert's JSON to an agency's HTTPS URL, signed with HMAC-SHA256 when the agency shared a secret. Any 2xx
/// answer within `timeout` is a delivery; anything else is a failure to retry.
struct WebhookTransport: Sendable {
    let client: HTTPClient
    let timeout: Duration

    /// One client for every webhook; `trustRoots` are the extra CA files named by `ca_certificate` (the system's
    /// roots stay trusted only when none is named).
    static func makeClient(trustRoots: [String]) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if !trustRoots.isEmpty {
            tls.trustRoots = .certificates(try trustRoots.flatMap { try NIOSSLCertificate.fromPEMFile($0) })
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(10), read: .seconds(30)))
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func post(_ body: Data, kind: String, to url: URL, secret: Data?) async throws {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "isr-relay")
        request.headers.add(name: "ISR-Event", value: kind)
        if let secret {
            let mac = HMAC<Crypto.SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
            request.headers.add(name: "ISR-Signature", value: "sha256=" + Hex.encode(Array(mac)))
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
        } catch {
            throw AlertFailure("\(url.host ?? "webhook"): \(error)")
        }
        _ = try? await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else {
            throw AlertFailure("\(url.host ?? "webhook") answered \(response.status.code)")
        }
    }
}
