import AsyncHTTPClient
import Crypto
import Foundation
import ISRCrypto
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// HTTPS to the relay as this practitioner: TLS 1.3, the deployment CA as the only trust root, and the
/// practitioner's client certificate. Problem documents become `refused` errors with the relay's own words.
/// A deployment with several relay instances is named by several URLs, tried in order: a request moves on to the
/// next when a relay cannot be reached (and, for reads, when the connection fails at any point), and later requests
/// start from the one that answered.
public final class RelayClient: Sendable {
    let http: HTTPClient
    /// Every relay URL of the deployment, in the order they are tried.
    public let baseURLs: [String]
    private let preferred = Mutex<Int>(0)

    /// The relay URL requests go to first (the last one that answered).
    public var baseURL: String { baseURLs[preferred.withLock { $0 }] }

    public struct Reply: Sendable {
        public let status: Int
        public let body: [UInt8]

        public func decode<T: Decodable>(_ type: T.Type) throws(ClientError) -> T {
            do {
                return try ISRJSON.decoder().decode(type, from: Data(body))
            } catch {
                throw ClientError(.refused, "the relay's answer could not be read as \(type); is this an ISR relay of the same version?")
            }
        }
    }

    /// A client for `home`, presenting its certificate with the TLS key from the unlocked identity.
    public convenience init(home: ISRHome, keys: PractitionerKeys) throws(ClientError) {
        let config = try home.config()
        guard let scalar = keys.tlsKey else { throw ClientError(.local, "this identity has no TLS key; make a new one with `isr keygen`") }
        let key: P256.Signing.PrivateKey
        do {
            key = try scalar.withUnsafeBytes { try P256.Signing.PrivateKey(rawRepresentation: $0) }
        } catch {
            throw ClientError(.local, "the identity's TLS key is damaged")
        }
        let certificate = try home.text(home.certificatePath, missing: "no client certificate in \(home.path); run `isr enrol ENROLMENT_FILE` first")
        let ca = try home.text(home.caPath, missing: "no deployment CA in \(home.path); run `isr keygen` with --ca first")
        try self.init(relayUrls: config.relays(environment: ProcessInfo.processInfo.environment), caPEM: ca, certificatePEM: certificate,
                      privateKeyPEM: key.pemRepresentation)
    }

    /// A client presenting `certificatePEM` with `privateKeyPEM`; with neither, one that can only enrol with an invitation code.
    public convenience init(relayUrl: String, caPEM: String, certificatePEM: String? = nil, privateKeyPEM: String? = nil) throws(ClientError) {
        try self.init(relayUrls: [relayUrl], caPEM: caPEM, certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
    }

    /// A client for a deployment's relay instances, tried in the order given.
    public init(relayUrls: [String], caPEM: String, certificatePEM: String? = nil, privateKeyPEM: String? = nil) throws(ClientError) {
        guard !relayUrls.isEmpty else { throw ClientError(.usage, "no relay URL; set one with `isr config relays URL[,URL…]`") }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
            if let certificatePEM, let privateKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem))
            }
        } catch {
            throw ClientError(.local, "the certificate, key or CA in the ISR home cannot be used for TLS")
        }
        tls.minimumTLSVersion = .tlsv13
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        baseURLs = relayUrls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    public func get(_ path: String) async throws(ClientError) -> Reply {
        try await send(path, method: .GET, body: nil, contentType: nil)
    }

    public func post(_ path: String, json object: some Encodable & Sendable) async throws(ClientError) -> Reply {
        let data = (try? ISRJSON.encoder().encode(object)) ?? Data()
        return try await send(path, method: .POST, body: Array(data), contentType: "application/json")
    }

    public func put(_ path: String, json object: some Encodable & Sendable) async throws(ClientError) -> Reply {
        let data = (try? ISRJSON.encoder().encode(object)) ?? Data()
        return try await send(path, method: .PUT, body: Array(data), contentType: "application/json")
    }

    public func post(_ path: String, bytes: [UInt8], headers: [(String, String)] = []) async throws(ClientError) -> Reply {
        try await send(path, method: .POST, body: bytes, contentType: "application/octet-stream", headers: headers)
    }

    /// Streams the server-sent events of `path` (resuming after `lastEventID`) to `handle` until it returns false, the
    /// relay ends the stream, or `deadline` passes; returns the last event id seen, for the next connection.
    public func events(_ path: String, lastEventID: String?, until deadline: ContinuousClock.Instant,
                       handle: (ServerSentEvents.Event) async throws -> Bool) async throws -> String? {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        var parser = ServerSentEvents(lastEventID: lastEventID)
        let response: HTTPClientResponse
        let base = baseURL
        do {
            response = try await http.execute(request, deadline: .now() + .seconds(Int64(max(1, (deadline - .now).components.seconds))))
        } catch {
            // The caller reconnects; the next attempt starts from the next relay instance.
            preferred.withLock { if baseURLs[$0] == base { $0 = ($0 + 1) % baseURLs.count } }
            throw ClientError(.network, "cannot reach the relay at \(base) (\(Self.describe(error))); check that it is running and that your certificate is from its deployment")
        }
        guard response.status.code == 200 else {
            let body = Array(buffer: (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer())
            throw ClientError(.refused, Self.problemText(status: Int(response.status.code), body: body))
        }
        do {
            for try await buffer in response.body {
                for event in try parser.feed(buffer.readableBytesView) {
                    guard try await handle(event) else { return parser.lastEventID }
                }
                if ContinuousClock.now >= deadline { break }
            }
        } catch let error as ClientError {
            throw error
        } catch {
            // The stream was cut (a deadline, the relay restarting): the caller reconnects from the last id.
        }
        return parser.lastEventID
    }

    /// Sends one request; 2xx is returned, a problem document becomes `refused`, no connection `network`. Moves on to the
    /// deployment's next relay when this one cannot be reached (any method: nothing reached it), or for a GET when the
    /// exchange failed at any point (reading twice changes nothing).
    func send(_ path: String, method: HTTPMethod, body: [UInt8]?, contentType: String?, headers: [(String, String)] = []) async throws(ClientError) -> Reply {
        let start = preferred.withLock { $0 }
        var failures: [String] = []
        for offset in 0..<baseURLs.count {
            let index = (start + offset) % baseURLs.count
            let base = baseURLs[index]
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let status: Int
            let bytes: [UInt8]
            do {
                let response = try await http.execute(request, timeout: .seconds(30))
                status = Int(response.status.code)
                bytes = Array(buffer: try await response.body.collect(upTo: 2 * 1024 * 1024))
            } catch {
                failures.append("\(base) (\(Self.describe(error)))")
                if offset + 1 < baseURLs.count, method == .GET || Self.unreachable(error) { continue }
                let tried = failures.joined(separator: ", ")
                throw ClientError(.network, "cannot reach the relay at \(tried); check that it is running and that your certificate is from its deployment")
            }
            preferred.withLock { $0 = index }
            guard (200..<300).contains(status) else {
                throw ClientError(.refused, Self.problemText(status: status, body: bytes))
            }
            return Reply(status: status, body: bytes)
        }
        throw ClientError(.network, "cannot reach the relay at \(failures.joined(separator: ", "))")
    }

    /// The request never reached a relay: the connection was refused or not made in time.
    static func unreachable(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        let text = String(describing: error)
        return ["connection refused", "connectionRefused", "Connection refused", "connectTimeout", "No route to host", "Network is unreachable"]
            .contains { text.contains($0) }
    }

    /// The problem's detail, and each violated rule on its own line, as the relay worded them.
    static func problemText(status: Int, body: [UInt8]) -> String {
        struct Problem: Decodable {
            struct Violation: Decodable { let message: String }
            let detail: String?
            let code: String?
            let violations: [Violation]?
        }
        guard let problem = try? JSONDecoder().decode(Problem.self, from: Data(body)), let detail = problem.detail else {
            return "the relay answered HTTP \(status)"
        }
        if let violations = problem.violations, violations.count > 1 {
            return violations.map(\.message).joined(separator: "\n")
        }
        return detail
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("certificate required") || text.contains("handshake") || text.contains("CERTIFICATE") { return "TLS handshake failed" }
        if text.contains("connectTimeout") || text.contains("Timeout") { return "timed out" }
        if text.contains("connection refused") || text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return "connection failed"
    }
}
