import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import ISRAudit
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRPolicy
import ISRRelay
import ISRStore
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import Testing
import X509

/// A practitioner as a test drives them: their ISR keys and their TLS client certificate.
struct Person: Sendable {
    let id: MemberID
    let keys: PractitionerKeys
    let tlsKeyPEM: String
    let certificatePEM: String
}

/// A relay on a temporary development deployment, served in-process over real mutual TLS on an ephemeral port.
final class RelayHarness: RelayEndpoint, Sendable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let directory: String
    let config: RelayConfiguration
    let prepared: RelayServer.Prepared
    let port: Int
    let admin: Person
    let clock = TestClock()
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    var service: RelayService { prepared.service }
    var policy: Policy { prepared.service.policy }

    /// Writes a deployment and config into a fresh directory and starts the relay.
    /// `[limits]` lines that keep rate limits out of the way (the harness's clock only moves when a test moves it, so no
    /// bucket refills on its own, and the process tests stream thousands of packets from one member) and give a
    /// connection two minutes for its first request: a CI machine running every suite at once can stall a client that long.
    static let unlimitedRates = """
        sends_per_minute = 1000000\nadmin_actions_per_minute = 1000000\nrequests_per_minute = 1000000\nrequest_head_timeout_seconds = 120
        address_sends_per_minute = 1000000\naddress_admin_actions_per_minute = 1000000
        """

    /// `limits` are `[limits]` lines added after `max_packet_bytes`; `storeURL` a PostgreSQL store instead of SQLite.
    static func start(policy edit: (String) -> String = { $0 }, limits: String = unlimitedRates, storeURL: String? = nil) async throws -> RelayHarness {
        let directory = NSTemporaryDirectory() + "isr-relay-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let policy = try String(contentsOf: repository.appendingPathComponent("config/policy.toml"), encoding: .utf8)
        try edit(policy).write(toFile: directory + "/policy.toml", atomically: true, encoding: .utf8)
        try Self.configText(port: 0, limits: limits, storeURL: storeURL).write(toFile: directory + "/relay.toml", atomically: true, encoding: .utf8)
        return try await RelayHarness(directory: directory)
    }

    static func configText(port: Int, host: String = "127.0.0.1", limits: String = unlimitedRates, storeURL: String? = nil) -> String {
        """
        [server]
        host = "\(host)"
        port = \(port)
        origin = "test.localhost"
        [tls]
        ca_certificate = "certs/ca.pem"
        certificate = "certs/relay.pem"
        private_key = "certs/relay.key"
        ca_private_key = "certs/ca.key"
        [relay]
        signing_key = "certs/relay-signing.key"
        first_admin = "certs/first-admin.json"
        development_deployment = "certs"
        policy = "policy.toml"
        [store]
        path = "data/relay.sqlite"
        \(storeURL.map { "url = \"\($0)\"" } ?? "")
        [limits]
        max_packet_bytes = 65536
        \(limits)
        [calendar]
        time_zone = "Europe/London"
        holidays = []
        [escalation]
        interval_seconds = 3600
        """
    }

    private init(directory: String) async throws {
        self.directory = directory
        config = try RelayConfiguration.load(directory + "/relay.toml")
        let clock = self.clock
        var logger = Logger(label: "relay-test")
        logger.logLevel = .warning
        prepared = try await RelayServer.prepare(config, logger: logger, clock: { clock.now })
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try RelayServer.application(prepared, config: config, logger: logger) { port in continuation.yield(port) }
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        self.group = group
        task = Task { try await group.run() }
        var bound = 0
        for await port in stream {
            bound = port
            break
        }
        port = bound
        let certs = directory + "/certs/"
        let passphrase = try String(contentsOfFile: certs + "admin-passphrase.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        admin = Person(id: try MemberID(DevelopmentDeployment.adminID),
                       keys: try IdentityFile.load(from: certs + "admin-identity.json").unlock(passphrase: SecretBytes(utf8: passphrase)),
                       tlsKeyPEM: try String(contentsOfFile: certs + "admin.key", encoding: .utf8),
                       certificatePEM: try String(contentsOfFile: certs + "admin.pem", encoding: .utf8))
    }

    /// Stops the relay as SIGTERM would: graceful shutdown, in-flight requests finish.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    /// Moves the relay's clock forward.
    func advance(byHours hours: Double) {
        clock.advance(by: Int64(hours * 3_600_000))
    }

}

/// A relay's answer as a test reads it.
struct Reply {
    let status: HTTPResponse.Status
    let contentType: String?
    let body: [UInt8]
    var headers: HTTPFields = [:]
    var text: String { String(decoding: body, as: UTF8.self) }

    func json<T: Decodable>(_ type: T.Type) throws -> T {
        try ISRJSON.decoder().decode(type, from: Data(body))
    }

    /// The RFC 9457 problem code, for refusals.
    var problemCode: String? {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["code"] as? String
    }
}

/// What tests need to talk to a relay, in-process or a spawned `isr-relay`: where it listens, the CA to trust,
/// the first admin, and the policy it enforces. Request helpers are shared by both.
protocol RelayEndpoint: Sendable {
    var directory: String { get }
    var port: Int { get }
    var admin: Person { get }
    var policy: Policy { get }
}

extension RelayEndpoint {
    var caPEM: String { (try? String(contentsOfFile: directory + "/certs/ca.pem", encoding: .utf8)) ?? "" }

    // MARK: Requests

    /// TLS as `person`, or with no client certificate (nil): what a practitioner enrolling with a code has.
    func tls(for person: Person?) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        if let person {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(person.certificatePEM.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(person.tlsKeyPEM.utf8), format: .pem))
        }
        tls.minimumTLSVersion = .tlsv13
        return tls
    }

    func request(_ person: Person?, _ method: HTTPRequest.Method, _ path: String, body: [UInt8]? = nil, contentType: String? = nil,
                 headers extra: HTTPFields = [:]) async throws -> Reply {
        let configuration = TestClient.Configuration(tlsConfiguration: try tls(for: person), timeout: .seconds(20), serverName: "localhost")
        return try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: configuration) { client in
            var headers = extra
            if let contentType { headers[.contentType] = contentType }
            let response = try await client.execute(.init(path, method: method, authority: "localhost", headers: headers, body: body.map { ByteBuffer(bytes: $0) }))
            DocumentedStatuses.check(method.rawValue, path, Int(response.status.code))
            return Reply(status: response.status, contentType: response.headers[.contentType],
                         body: response.body.map { Array(buffer: $0) } ?? [], headers: response.headers)
        }
    }

    func json(_ person: Person?, _ method: HTTPRequest.Method, _ path: String, _ object: [String: Any]) async throws -> Reply {
        try await request(person, method, path, body: Array(try JSONSerialization.data(withJSONObject: object)), contentType: "application/json")
    }

    // MARK: Registry set-up through the admin API

    /// The kinds `standardCast` and the tests register agencies as.
    var agencyKinds: [String: String] { ["school-a": "school", "devon-csc": "childrens-social-care", "health-a": "health", "police-a": "police"] }

    func addAgency(_ id: String, kind: String) async throws {
        let reply = try await json(admin, .post, "/v1/admin/agencies", ["id": id, "name": id.capitalized, "kind": kind])
        #expect(reply.status == .created, "\(reply.text)")
    }

    func enrol(_ raw: String, role: String = "practitioner", agencyKind: String? = nil) async throws -> Person {
        let id = try MemberID(raw)
        let keys = PractitionerKeys.generate()
        let tlsKey = P256.Signing.PrivateKey()
        let request = try MemberCertificateRequest(member: id, privateKey: tlsKey)
        let entry = DirectoryEntry(member: id, displayName: id.local.capitalized, agencyName: id.agency.rawValue.capitalized,
                                   agencyKind: agencyKind ?? agencyKinds[id.agency.rawValue] ?? "school", signingKey: keys.signing.publicKey,
                                   encryptionKey: keys.encryption.publicKey, issuedAt: 1).signed(by: admin.id, key: admin.keys.signing)
        let reply = try await json(admin, .post, "/v1/admin/members", [
            "directory_entry": Data(entry).base64EncodedString(),
            "certificate_request": try request.pem(), "display_name": id.local.capitalized, "role": role,
            "signing_key": Data(keys.signing.publicKey.bytes).base64EncodedString(),
            "encryption_key": Data(keys.encryption.publicKey.bytes).base64EncodedString(),
        ])
        #expect(reply.status == .created, "\(reply.text)")
        let enrolment = try reply.json(Enrolment.self)
        return Person(id: id, keys: keys, tlsKeyPEM: tlsKey.pemRepresentation, certificatePEM: enrolment.certificate)
    }
}

/// A clock tests can move; starts at the real time.
final class TestClock: Sendable {
    private let value = Mutex(Int64(Date().timeIntervalSince1970 * 1000))
    var now: Int64 { value.withLock { $0 } }
    func advance(by milliseconds: Int64) { value.withLock { $0 += milliseconds } }
}
