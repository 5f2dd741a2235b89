// isr-bench: a thin shell over ISRBench. Run it in release: `swift run -c release isr-bench`.
import ArgumentParser
import Foundation
import ISRBench

@main
struct IsrBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isr-bench",
        abstract: "Measure the ISR relay: accept, deliver and read-back throughput, latency, CPU and memory.",
        discussion: """
            By default it creates a throw-away deployment, starts the isr-relay built beside it on loopback, enrols \
            synthetic members and runs real sealed, signed packets over real mTLS keep-alive connections. \
            Progress goes to stderr; the report to stdout. Exit codes: 0 ran, 1 could not run, 2 usage.
            """)

    /// Usage errors exit 2 with one line, as `isr` and `isr-relay` do.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var bench = command as? IsrBench {
                try await bench.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let message = fullMessage(for: error)
            if exitCode(for: error) == .success {
                print(message)
                Foundation.exit(0)
            }
            let first = message.split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            FileHandle.standardError.write(Data("isr-bench: error: \(first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first); run `isr-bench --help`\n".utf8))
            Foundation.exit(2)
        }
    }

    @Option(help: "Concurrent keep-alive connections (senders, and as many recipients).") var connections = 64
    @Option(help: "Packets in the workload (built before the phases). Default 10000, or enough for --duration.") var packets: Int?
    @Option(help: "Stop each phase after this many seconds.") var duration: Double?
    @Option(help: "Open loop: start this many operations per second on a fixed schedule (latency under steady load).") var rate: Double?
    @Option(name: .customLong("body-bytes"), help: "Encoded body size of each share.") var bodyBytes = 2048
    @Option(help: "Benchmark a running relay at this URL instead of a throw-away one (needs --home).") var relay: String?
    @Option(help: "With --relay: an admin's ISR home (passphrase from ISR_PASSPHRASE).") var home: String?
    @Option(name: .customLong("relay-pid"), help: "With --relay: the relay's pid, to report its CPU and memory.") var relayPID: Int32?
    @Option(name: .customLong("baseline-url"), help: "Also POST the same packets to this HTTPS URL and report the ratio.") var baselineURL: String?
    @Option(name: .customLong("baseline-ca"), help: "CA certificate (PEM) for the baseline's server (default: the deployment CA).") var baselineCA: String?
    @Flag(name: .customLong("baseline-nginx"), help: "Start nginx (TLS 1.3, client certificate required, answers 201) as the baseline.") var baselineNginx = false
    @Option(name: .customLong("prefill-leaves"), help: "Grow the throw-away relay's audit log to this many leaves first (scale check).") var prefillLeaves = 0
    @Option(name: .customLong("idle-connections"), help: "Instead of the phases: hold this many idle mTLS connections and report the relay's memory.") var idleConnections = 0
    @Option(name: .customLong("client-threads"), help: "Event-loop threads of the load generator.") var clientThreads = 2
    @Option(help: "The purpose policy for the throw-away relay.") var policy = "config/policy.toml"
    @Option(name: .customLong("relay-binary"), help: "The isr-relay to start (default: the one beside isr-bench).") var relayBinary: String?
    @Option(help: "The throw-away relay's store: sqlite, or postgres (a throw-away PostgreSQL cluster started with initdb).") var store = "sqlite"
    @Option(help: "Relay instances on the throw-away store (postgres only); connections are spread across them.") var instances = 1
    @Flag(help: "Keep the throw-away deployment directory.") var keep = false
    @Flag(help: "Print the report as JSON.") var json = false

    func run() async throws {
        var options = BenchOptions()
        options.connections = connections
        options.packets = packets
        options.duration = duration
        options.rate = rate
        options.bodyBytes = bodyBytes
        options.relayURL = relay
        options.home = home
        options.relayPID = relayPID
        options.baselineURL = baselineURL
        options.baselineCA = baselineCA
        options.baselineNginx = baselineNginx
        options.prefillLeaves = prefillLeaves
        options.idleConnections = idleConnections
        options.clientThreads = clientThreads
        options.policyPath = policy
        options.relayBinary = relayBinary
        options.store = store
        options.instances = instances
        options.keep = keep
        let quiet = json
        do {
            let report = try await Bench.run(options) { message in
                if !quiet { FileHandle.standardError.write(Data("isr-bench: \(message)\n".utf8)) }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
        } catch {
            FileHandle.standardError.write(Data("isr-bench: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
