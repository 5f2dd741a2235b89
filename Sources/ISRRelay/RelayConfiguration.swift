import Foundation
import ISRRelayAPI
import ISRPolicy
import ISRStorePostgres
import TOMLKit

/// `relay.toml`: where the relay listens, its certificates and keys, its store, limits, policy and calendar.
/// Relative paths are resolved against the directory of the configuration file.
public struct RelayConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Names this relay's audit log in its checkpoints.
    public var origin: String
    public var caCertificate: String
    public var certificate: String
    public var privateKey: String
    /// The CA's private key: lets the relay issue members' certificates at enrolment. Optional.
    public var caPrivateKey: String?
    /// How long members' client certificates issued by this relay last (days, 1–825; default 365).
    public var memberCertificateDays: Int
    public var signingKey: String
    /// `first-admin.json`: registered in an empty store on start.
    public var firstAdmin: String?
    /// If set and this directory holds no deployment, a development deployment is created there.
    public var developmentDeployment: String?
    public var policy: String
    public var storePath: String
    /// A `postgres://` URL: several relay instances share that database instead of the SQLite file at `storePath`.
    /// `ISR_STORE_URL` in the environment overrides it (so a password need not be written into the file).
    public var storeURL: String?
    public var maxPacketBytes: Int
    public var timeZone: String
    public var holidays: [String]
    public var escalationIntervalSeconds: Int
    /// `[alerts]`: content-free e-mails and webhooks; nil sends none.
    public var alerts: AlertConfiguration?
    /// Timeouts and caps for connections (`[limits]`).
    public var connections = ConnectionLimits()
    /// Members' request rates (`[limits]`).
    public var rates = RequestRateLimits()

    struct Document: Decodable {
        struct Server: Decodable {
            var host: String
            var port: Int
            var origin: String
        }
        struct TLS: Decodable {
            var caCertificate: String
            var certificate: String
            var privateKey: String
            var caPrivateKey: String?
            var memberCertificateDays: Int?
            enum CodingKeys: String, CodingKey {
                case certificate
                case memberCertificateDays = "member_certificate_days"
                case caCertificate = "ca_certificate"
                case privateKey = "private_key"
                case caPrivateKey = "ca_private_key"
            }
        }
        struct Relay: Decodable {
            var signingKey: String
            var firstAdmin: String?
            var developmentDeployment: String?
            var policy: String
            enum CodingKeys: String, CodingKey {
                case policy
                case signingKey = "signing_key"
                case firstAdmin = "first_admin"
                case developmentDeployment = "development_deployment"
            }
        }
        struct Store: Decodable {
            var path: String
            var url: String?
        }
        struct Limits: Decodable {
            var maxPacketBytes: Int
            var idleTimeoutSeconds: Int?
            var requestHeadTimeoutSeconds: Int?
            var maxConnections: Int?
            var maxConnectionsPerAddress: Int?
            var sendsPerMinute: Int?
            var adminActionsPerMinute: Int?
            var requestsPerMinute: Int?
            var addressSendsPerMinute: Int?
            var addressAdminActionsPerMinute: Int?
            enum CodingKeys: String, CodingKey {
                case addressSendsPerMinute = "address_sends_per_minute"
                case addressAdminActionsPerMinute = "address_admin_actions_per_minute"
                case sendsPerMinute = "sends_per_minute"
                case adminActionsPerMinute = "admin_actions_per_minute"
                case requestsPerMinute = "requests_per_minute"
                case maxPacketBytes = "max_packet_bytes"
                case idleTimeoutSeconds = "idle_timeout_seconds"
                case requestHeadTimeoutSeconds = "request_head_timeout_seconds"
                case maxConnections = "max_connections"
                case maxConnectionsPerAddress = "max_connections_per_address"
            }
        }
        struct Calendar: Decodable {
            var timeZone: String
            var holidays: [String]
            enum CodingKeys: String, CodingKey {
                case holidays
                case timeZone = "time_zone"
            }
        }
        struct Escalation: Decodable {
            var intervalSeconds: Int
            enum CodingKeys: String, CodingKey { case intervalSeconds = "interval_seconds" }
        }
        var server: Server
        var tls: TLS
        var relay: Relay
        var store: Store
        var limits: Limits
        var calendar: Calendar
        var escalation: Escalation
        var alerts: AlertConfiguration.Document?
    }

    /// Loads `path` (at most 64 KiB), refusing unknown keys and out-of-range values with the key named.
    public static func load(_ path: String) throws(ConfigurationError) -> RelayConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read \(path); pass --config FILE (default config/relay.toml)")
        }
        guard data.count <= 64 * 1024, let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(path) is not a UTF-8 text file of at most 64 KiB")
        }
        let document: Document
        do {
            document = try TOMLDecoder(strictDecoding: true).decode(Document.self, from: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError("\(path):\(error.source.begin.line): \(error.description)")
        } catch let error as UnexpectedKeysError {
            throw ConfigurationError("\(path): unknown key(s) \(error.keys.map { k, p in (p.map(\.stringValue) + [k]).joined(separator: ".") }.sorted().joined(separator: ", "))")
        } catch let DecodingError.keyNotFound(key, context) {
            var components = context.codingPath.map(\.stringValue)
            if components.last != key.stringValue { components.append(key.stringValue) }
            throw ConfigurationError("\(path): `\(components.joined(separator: "."))` is missing")
        } catch {
            throw ConfigurationError("\(path): \(error)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ value: String) -> String {
            value.hasPrefix("/") ? value : base.appendingPathComponent(value).standardizedFileURL.path
        }
        var config = RelayConfiguration(
            host: document.server.host, port: document.server.port, origin: document.server.origin,
            caCertificate: resolve(document.tls.caCertificate), certificate: resolve(document.tls.certificate), privateKey: resolve(document.tls.privateKey),
            caPrivateKey: document.tls.caPrivateKey.map(resolve), memberCertificateDays: document.tls.memberCertificateDays ?? 365, signingKey: resolve(document.relay.signingKey),
            firstAdmin: document.relay.firstAdmin.map(resolve), developmentDeployment: document.relay.developmentDeployment.map(resolve),
            policy: resolve(document.relay.policy), storePath: resolve(document.store.path), maxPacketBytes: document.limits.maxPacketBytes,
            timeZone: document.calendar.timeZone, holidays: document.calendar.holidays, escalationIntervalSeconds: document.escalation.intervalSeconds,
            alerts: try document.alerts.map { document throws(ConfigurationError) in try AlertConfiguration.make(document, path: path, resolve: resolve) })
        config.storeURL = ProcessInfo.processInfo.environment["ISR_STORE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? document.store.url
        let limits = document.limits
        config.connections.idleTimeoutSeconds = limits.idleTimeoutSeconds ?? config.connections.idleTimeoutSeconds
        config.connections.requestHeadTimeoutSeconds = limits.requestHeadTimeoutSeconds ?? config.connections.requestHeadTimeoutSeconds
        config.connections.maxConnections = limits.maxConnections ?? config.connections.maxConnections
        config.connections.maxConnectionsPerAddress = limits.maxConnectionsPerAddress ?? config.connections.maxConnectionsPerAddress
        config.rates.sendsPerMinute = limits.sendsPerMinute ?? config.rates.sendsPerMinute
        config.rates.adminActionsPerMinute = limits.adminActionsPerMinute ?? config.rates.adminActionsPerMinute
        config.rates.requestsPerMinute = limits.requestsPerMinute ?? config.rates.requestsPerMinute
        config.rates.addressSendsPerMinute = limits.addressSendsPerMinute ?? config.rates.addressSendsPerMinute
        config.rates.addressAdminActionsPerMinute = limits.addressAdminActionsPerMinute ?? config.rates.addressAdminActionsPerMinute
        try config.validate(path)
        return config
    }

    func validate(_ path: String) throws(ConfigurationError) {
        guard (0...65535).contains(port) else { throw ConfigurationError("\(path): server.port must be 0–65535") }
        guard !host.isEmpty, !origin.isEmpty, origin.utf8.count <= 256 else { throw ConfigurationError("\(path): server.host and server.origin must not be empty") }
        guard (1024...(1024 * 1024)).contains(maxPacketBytes) else { throw ConfigurationError("\(path): limits.max_packet_bytes must be 1024–1048576") }
        guard (1...825).contains(memberCertificateDays) else { throw ConfigurationError("\(path): tls.member_certificate_days must be 1–825") }
        guard (1...3600).contains(connections.idleTimeoutSeconds), (1...300).contains(connections.requestHeadTimeoutSeconds) else {
            throw ConfigurationError("\(path): limits.idle_timeout_seconds must be 1–3600 and limits.request_head_timeout_seconds 1–300")
        }
        guard (1...1_000_000).contains(connections.maxConnections), (1...connections.maxConnections).contains(connections.maxConnectionsPerAddress) else {
            throw ConfigurationError("\(path): limits.max_connections must be 1–1000000 and limits.max_connections_per_address 1–max_connections")
        }
        guard [rates.sendsPerMinute, rates.adminActionsPerMinute, rates.requestsPerMinute, rates.addressSendsPerMinute, rates.addressAdminActionsPerMinute]
            .allSatisfy({ (1...1_000_000).contains($0) }) else {
            throw ConfigurationError("\(path): limits.sends_per_minute, admin_actions_per_minute, requests_per_minute, address_sends_per_minute and address_admin_actions_per_minute must be 1–1000000")
        }
        if let storeURL {
            do {
                _ = try PostgresLocation(url: storeURL)
            } catch {
                throw ConfigurationError("\(path): store.url (or ISR_STORE_URL): \(error.message)")
            }
        }
        guard (1...86_400).contains(escalationIntervalSeconds) else { throw ConfigurationError("\(path): escalation.interval_seconds must be 1–86400") }
        do {
            _ = try WorkingCalendar(timeZone: timeZone, holidays: holidays)
        } catch {
            throw ConfigurationError("\(path): calendar: \(error.message)")
        }
    }
}

/// A configuration the relay cannot start with, said in one line.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
