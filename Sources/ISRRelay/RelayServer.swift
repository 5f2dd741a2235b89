import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRPolicy
import ISRStore
import ISRStorePostgres
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import X509
import Crypto

/// Assembles the relay from its configuration and runs it until SIGTERM/SIGINT: stop accepting, finish
/// in-flight requests, then close the store.
public enum RelayServer {
    /// Everything the server needs, loaded and checked before it listens.
    public struct Prepared: Sendable {
        public let service: RelayService
        public let tls: TLSConfiguration
        public let policyText: String
        public let store: any RelayStore
        /// The relay's TLS certificate and key, reloadable while serving.
        public let serverCertificate: ServerCertificate
    }

    /// `clock` (Unix milliseconds) is injectable so tests can move time past deadlines.
    public static func prepare(_ config: RelayConfiguration, logger: Logger,
                               clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) async throws -> Prepared {
        OpenFileLimit.raise(for: config.connections, logger: logger)
        if let directory = config.developmentDeployment, !DevelopmentDeployment.exists(in: directory) {
            try DevelopmentDeployment.create(in: directory, relayURL: "https://localhost:\(config.port)", logger: logger)
        }
        guard let policyData = FileManager.default.contents(atPath: config.policy), let policyText = String(data: policyData, encoding: .utf8) else {
            throw ConfigurationError("cannot read the policy file \(config.policy)")
        }
        let policy = try Policy(toml: policyText, source: config.policy)
        let calendar = try WorkingCalendar(timeZone: config.timeZone, holidays: config.holidays)
        let relayKey = try SigningKeyFile.read(config.signingKey)
        var ca: DeploymentCA?
        if let caKey = config.caPrivateKey, FileManager.default.fileExists(atPath: caKey) {
            ca = try DeploymentCA(certificatePEM: try PEMFile.read(config.caCertificate), privateKeyPEM: try PEMFile.read(caKey))
        }
        let store = try await openStore(config, logger: logger)
        let limits = PacketLimits(maximumPacketBytes: config.maxPacketBytes, maximumRecipients: PacketLimits.standard.maximumRecipients,
                                  maximumStanzas: PacketLimits.standard.maximumStanzas)
        var service = RelayService(store: store, policy: policy, calendar: calendar, limits: limits, relayKey: relayKey, origin: config.origin,
                                   certificateAuthority: ca, clock: clock, logger: logger)
        service.memberCertificateDays = config.memberCertificateDays
        if let path = config.firstAdmin, FileManager.default.fileExists(atPath: path) {
            try await registerFirstAdmin(path, service: service)
        }
        let serverCertificate = try ServerCertificate(certificatePath: config.certificate, keyPath: config.privateKey)
        return Prepared(service: service, tls: try tlsConfiguration(config, serverCertificate: serverCertificate), policyText: policyText, store: store,
                        serverCertificate: serverCertificate)
    }

    /// The PostgreSQL store at `store.url` (shared with the deployment's other relay instances), else the SQLite file.
    static func openStore(_ config: RelayConfiguration, logger: Logger) async throws -> any RelayStore {
        if let url = config.storeURL {
            let store = try await PostgresRelayStore(url: url, logger: logger)
            logger.notice("store: PostgreSQL", metadata: ["store": "\(store.location)"])
            return store
        }
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: config.storePath).deletingLastPathComponent().path, withIntermediateDirectories: true)
        return try SQLiteRelayStore(path: config.storePath)
    }

    /// TLS 1.3 only; a client certificate, when presented, is verified against the deployment CA. One is optional at the TLS
    /// layer only so that enrolment with an invitation code can reach the relay: `ClientCertificateGate` refuses every
    /// other route without one.
    public static func tlsConfiguration(_ config: RelayConfiguration, serverCertificate: ServerCertificate? = nil) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: try NIOSSLCertificate.fromPEMFile(config.certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: config.privateKey, format: .pem)),
            trustRoots: .file(config.caCertificate))
        tls.minimumTLSVersion = .tlsv13
        tls.certificateVerification = .optionalVerification
        tls.sslContextCallback = serverCertificate?.callback
        return tls
    }

    /// Registers the first admin and their agency on an empty store (once they are registered, a restart does nothing).
    /// A store that already has members never takes a new admin from a file: that would let whoever can write the
    /// configuration mint an admin on a running deployment.
    static func registerFirstAdmin(_ path: String, service: RelayService) async throws {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 16 * 1024 else {
            throw ConfigurationError("cannot read \(path)")
        }
        let admin = try FirstAdmin.coders.1.decode(FirstAdmin.self, from: data)
        let id = try MemberID(admin.id)
        guard try await service.store.member(id) == nil else { return }
        guard try await service.store.members().isEmpty else {
            service.logger.warning("first_admin ignored: the store already has members, and admins are made by an admin", metadata: ["member": "\(id)"])
            return
        }
        guard let signing = Data(base64Encoded: admin.signingKey), signing.count == 32,
              let encryption = Data(base64Encoded: admin.encryptionKey), encryption.count == 32 else {
            throw ConfigurationError("\(path): signing_key and encryption_key must be base64 32-byte keys")
        }
        if try await service.store.agency(id.agency) == nil {
            _ = try await service.store.insertAgency(Agency(id: id.agency, name: admin.agencyName, kind: admin.agencyKind, registeredAt: service.clock()),
                                                     event: service.event("agency.registered", by: "relay", ["agency": id.agency.rawValue, "kind": admin.agencyKind]))
        }
        _ = try await service.store.insertMember(
            Member(id: id, displayName: admin.displayName, role: .admin, signingKey: Array(signing), encryptionKey: Array(encryption),
                   certificateFingerprint: admin.certificateFingerprint, directoryEntry: Data(base64Encoded: admin.directoryEntry).map { Array($0) },
                   enrolledAt: service.clock()),
            event: service.event("member.enrolled", by: "relay", ["member": id.rawValue, "role": "admin"]))
        service.logger.notice("registered the first admin", metadata: ["member": "\(id)"])
    }

    /// The Hummingbird application for a prepared relay. `onListening` receives the bound port.
    public static func application(_ prepared: Prepared, config: RelayConfiguration, logger: Logger,
                                   onListening: @escaping @Sendable (Int) -> Void = { _ in }) throws -> some ApplicationProtocol {
        let router = RelayRoutes.router(service: prepared.service, policyText: prepared.policyText, openAPI: OpenAPIDocument.text, rates: config.rates)
        return Application(
            router: router,
            server: server(prepared.tls, limits: config.connections),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "isr-relay"),
            services: [EscalationService(service: prepared.service, interval: .seconds(config.escalationIntervalSeconds))]
                + (config.alerts.map { [AlertService(service: prepared.service, configuration: $0)] } ?? []),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? config.port) },
            logger: logger)
    }

    /// TLS 1.3 over HTTP/1 behind connection admission, with an idle timeout and a deadline for each request head.
    static func server(_ tls: TLSConfiguration, limits: ConnectionLimits) -> HTTPServerBuilder {
        let admission = ConnectionAdmission(limits: limits)
        return HTTPServerBuilder { responder in
            let http = HTTP1Channel(responder: responder, configuration: .init(
                additionalChannelHandlers: [RequestHeadDeadline(limit: limits.requestHeadTimeout)], idleTimeout: limits.idleTimeout))
            return AdmittedChannel(base: try TLSChannel(http, tlsConfiguration: tls), admission: admission)
        }
    }

    /// Issues a new relay certificate (same names, new key) from the deployment CA named in the configuration and writes
    /// it over the current files, key first; the running relay starts using it on SIGHUP. Returns the new expiry.
    public static func renewCertificate(configPath: String) throws -> Date {
        let config = try RelayConfiguration.load(configPath)
        guard let caKey = config.caPrivateKey, FileManager.default.fileExists(atPath: caKey) else {
            throw ConfigurationError("renewing the relay certificate needs the CA key (tls.ca_private_key in \(configPath))")
        }
        let ca = try DeploymentCA(certificatePEM: try PEMFile.read(config.caCertificate), privateKeyPEM: try PEMFile.read(caKey))
        let current = try Certificate(pemEncoded: try PEMFile.read(config.certificate))
        let key = P256.Signing.PrivateKey()
        let renewed = try ca.renewServerCertificate(current, publicKey: key.publicKey)
        try PEMFile.write(key.pemRepresentation, to: config.privateKey, secret: true)
        try PEMFile.write(try renewed.serializeAsPEM().pemString, to: config.certificate, secret: false)
        return renewed.notValidAfter
    }

    /// Loads `configPath`, runs the relay until a shutdown signal, then closes the store.
    public static func run(configPath: String, logger: Logger) async throws {
        let config = try RelayConfiguration.load(configPath)
        let prepared = try await prepare(config, logger: logger)
        let app = try application(prepared, config: config, logger: logger) { port in
            FileHandle.standardOutput.write(Data("isr-relay: listening on https://\(config.host):\(port)\n".utf8))
        }
        // SIGHUP: re-read the relay's certificate and key (after `isr-relay renew-certificate`); new handshakes use them.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP)
        hangup.setEventHandler {
            do {
                try prepared.serverCertificate.reload()
                logger.notice("reloaded the relay's TLS certificate")
            } catch {
                logger.error("kept the current TLS certificate: \(error)")
            }
        }
        hangup.resume()
        defer { hangup.cancel() }
        try await app.runService()
        try await prepared.store.close()
        logger.notice("relay stopped; store closed")
    }
}
