import Crypto
import Foundation
import ISRAudit
import ISRClient
import ISRCrypto
import ISRPacket
import ISRStore
import NIOCore

/// The relay under test: a throw-away one this run starts (the default), or a running one reached with an admin's home.
struct Target: Sendable {
    let url: String
    let host: String
    let port: Int
    let admin: BenchMember
    let caPEM: String
    let usage: ProcessUsage?
    let daemon: RelayDaemon?
    let deployment: ThrowawayDeployment?

    static func open(_ options: BenchOptions, group: any EventLoopGroup, progress: @Sendable (String) -> Void) async throws -> Target {
        if let url = options.relayURL {
            return try running(url: url, home: options.home, pid: options.relayPID)
        }
        let deployment = try ThrowawayDeployment.create(policyPath: options.policyPath)
        do {
            if options.prefillLeaves > 0 {
                progress("growing the audit log to \(options.prefillLeaves) leaves before the relay starts")
                try await prefill(deployment.storePath, leaves: options.prefillLeaves)
            }
            let binary = options.relayBinary ?? RelayDaemon.besideThisExecutable()
            guard FileManager.default.isExecutableFile(atPath: binary) else {
                throw BenchError("no isr-relay at \(binary); build it (`swift build -c release`) or pass --relay-binary PATH")
            }
            progress("starting \(binary) on a throw-away deployment in \(deployment.directory)")
            let daemon = try RelayDaemon(executable: binary, configPath: deployment.configPath, directory: deployment.directory)
            return Target(url: "https://127.0.0.1:\(daemon.port)", host: "127.0.0.1", port: daemon.port, admin: deployment.admin, caPEM: deployment.caPEM,
                          usage: ProcessUsage(pid: daemon.pid), daemon: daemon, deployment: deployment)
        } catch {
            deployment.remove()
            throw error
        }
    }

    /// A running relay: the admin's certificate, TLS key and CA come from their ISR home (passphrase: ISR_PASSPHRASE).
    static func running(url: String, home path: String?, pid: Int32?) throws -> Target {
        guard let components = URLComponents(string: url), components.scheme == "https", let host = components.host, let port = components.port else {
            throw BenchError("--relay must be https://HOST:PORT")
        }
        guard let path else { throw BenchError("--relay needs --home DIR: an admin's ISR home, to enrol the synthetic members") }
        let home = ISRHome(path: path)
        let keys = try home.unlock(PassphraseSource.resolve(file: nil))
        guard let scalar = keys.tlsKey else { throw BenchError("the identity in \(path) has no TLS key") }
        let tlsKey = try scalar.withUnsafeBytes { try P256.Signing.PrivateKey(rawRepresentation: $0) }
        let config = try home.config()
        let admin = BenchMember(id: try MemberID(config.member), keys: keys, tlsKeyPEM: tlsKey.pemRepresentation,
                                certificatePEM: try home.text(home.certificatePath, missing: "no certificate in \(path)"))
        let bareHost = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return Target(url: url, host: bareHost, port: port, admin: admin, caPEM: try home.text(home.caPath, missing: "no CA in \(path)"),
                      usage: pid.map(ProcessUsage.init(pid:)), daemon: nil, deployment: nil)
    }

    /// Appends `leaves` synthetic audit events (`bench.filler`) in transactions of 20,000.
    static func prefill(_ storePath: String, leaves: Int) async throws {
        let store = try SQLiteRelayStore(path: storePath)
        var done = 0
        while done < leaves {
            let batch = min(20_000, leaves - done)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let events = (0..<batch).map { AuditEvent(kind: "bench.filler", time: now, actor: "isr-bench", packetID: nil, attributes: ["n": "\(done + $0)"]) }
            _ = try await store.appendAuditEvents(events)
            done += batch
        }
        try store.close()
    }

    /// Stops a relay this run started (SIGTERM) and removes its deployment unless asked to keep it.
    func close(keep: Bool, progress: @Sendable (String) -> Void) {
        guard let daemon, let deployment else { return }
        let status = daemon.stop()
        if status != 0 { progress("isr-relay exited with status \(status); its log: \(daemon.logPath)") }
        if keep || status != 0 {
            progress("kept the deployment in \(deployment.directory)")
        } else {
            deployment.remove()
        }
    }
}
