import Crypto
import Foundation
import ISRAudit
import ISRClient
import ISRCrypto
import ISRPacket
import ISRStore
import ISRStorePostgres
import NIOCore

/// The relay under test: a throw-away one this run starts (the default), or a running one reached with an admin's home.
struct Target: Sendable {
    let url: String
    let host: String
    let port: Int
    let admin: BenchMember
    let caPEM: String
    let usage: ProcessUsage?
    let daemons: [RelayDaemon]
    let deployment: ThrowawayDeployment?
    /// Every instance's port (the first is `port`); connection `i` goes to `ports[i % count]`.
    var ports: [Int] = []
    /// The throw-away PostgreSQL cluster of a `--store postgres` run.
    var cluster: ScratchPostgres? = nil

    static func open(_ options: BenchOptions, group: any EventLoopGroup, progress: @Sendable (String) -> Void) async throws -> Target {
        if let url = options.relayURL {
            return try running(url: url, home: options.home, pid: options.relayPID)
        }
        guard ["sqlite", "postgres"].contains(options.store) else { throw BenchError("--store must be sqlite or postgres") }
        guard (1...16).contains(options.instances), options.instances == 1 || options.store == "postgres" else {
            throw BenchError("--instances must be 1–16, and above 1 only with --store postgres (instances share one database)")
        }
        let deployment = try ThrowawayDeployment.create(policyPath: options.policyPath)
        var cluster: ScratchPostgres?
        var daemons: [RelayDaemon] = []
        do {
            if options.store == "postgres" {
                progress("starting a throw-away PostgreSQL cluster (initdb, loopback)")
                let started = try ScratchPostgres()
                cluster = started
                let url = try started.createDatabase("isr_bench")
                try deployment.useStore(url: url)
            }
            if options.prefillLeaves > 0 {
                progress("growing the audit log to \(options.prefillLeaves) leaves before the relay starts")
                try await prefill(deployment, leaves: options.prefillLeaves)
            }
            let binary = options.relayBinary ?? RelayDaemon.besideThisExecutable()
            guard FileManager.default.isExecutableFile(atPath: binary) else {
                throw BenchError("no isr-relay at \(binary); build it (`swift build -c release`) or pass --relay-binary PATH")
            }
            for instance in 0..<options.instances {
                progress("starting \(binary) (instance \(instance + 1) of \(options.instances), \(options.store)) on a throw-away deployment in \(deployment.directory)")
                daemons.append(try RelayDaemon(executable: binary, configPath: deployment.configPath, directory: deployment.directory, name: "relay-\(instance + 1)"))
            }
            let first = daemons[0]
            var target = Target(url: "https://127.0.0.1:\(first.port)", host: "127.0.0.1", port: first.port, admin: deployment.admin, caPEM: deployment.caPEM,
                                usage: ProcessUsage(pid: first.pid), daemons: daemons, deployment: deployment)
            target.ports = daemons.map(\.port)
            target.cluster = cluster
            return target
        } catch {
            for daemon in daemons { daemon.stop() }
            cluster?.stop()
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
        var target = Target(url: url, host: bareHost, port: port, admin: admin, caPEM: try home.text(home.caPath, missing: "no CA in \(path)"),
                            usage: pid.map(ProcessUsage.init(pid:)), daemons: [], deployment: nil)
        target.ports = [port]
        return target
    }

    /// Appends `leaves` synthetic audit events (`bench.filler`) in transactions of 20,000.
    static func prefill(_ deployment: ThrowawayDeployment, leaves: Int) async throws {
        let store: any RelayStore
        if let url = deployment.storeURL {
            store = try await PostgresRelayStore(url: url)
        } else {
            store = try SQLiteRelayStore(path: deployment.storePath)
        }
        var done = 0
        while done < leaves {
            let batch = min(20_000, leaves - done)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let events = (0..<batch).map { AuditEvent(kind: "bench.filler", time: now, actor: "isr-bench", packetID: nil, attributes: ["n": "\(done + $0)"]) }
            _ = try await store.appendAuditEvents(events)
            done += batch
        }
        try await store.close()
    }

    /// Stops a relay this run started (SIGTERM) and removes its deployment unless asked to keep it.
    func close(keep: Bool, progress: @Sendable (String) -> Void) {
        guard !daemons.isEmpty, let deployment else { return }
        var status: Int32 = 0
        for daemon in daemons {
            let exit = daemon.stop()
            if exit != 0 { progress("isr-relay exited with status \(exit); its log: \(daemon.logPath)") }
            status = status == 0 ? exit : status
        }
        cluster?.stop()
        if keep || status != 0 {
            progress("kept the deployment in \(deployment.directory)")
        } else {
            deployment.remove()
        }
    }
}
