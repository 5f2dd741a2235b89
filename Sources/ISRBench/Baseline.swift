import Foundation
import NIOCore

/// The baseline endpoint: connections with the same client, certificates and count as the relay's senders.
struct Baseline: Sendable {
    let url: String
    let path: String
    let connections: [BenchConnection]
    let nginx: NginxBaseline?

    /// nil when no baseline was asked for.
    static func open(_ options: BenchOptions, target: Target, cast: SyntheticCast, group: any EventLoopGroup,
                     progress: @Sendable (String) -> Void) async throws -> Baseline? {
        var nginx: NginxBaseline?
        var url = options.baselineURL
        if options.baselineNginx {
            guard let deployment = target.deployment else { throw BenchError("--baseline-nginx uses the throw-away deployment's certificates; use --baseline-url with --relay") }
            progress("starting nginx as the baseline")
            let started = try await NginxBaseline(directory: deployment.directory, group: group)
            nginx = started
            url = started.url
        }
        guard let url else { return nil }
        do {
            guard let components = URLComponents(string: url), components.scheme == "https", let host = components.host else {
                throw BenchError("--baseline-url must be https://HOST[:PORT]/PATH")
            }
            let caPEM: String
            if let file = options.baselineCA {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw BenchError("cannot read --baseline-ca \(file)") }
                caPEM = text
            } else {
                caPEM = target.caPEM
            }
            var connections: [BenchConnection] = []
            for member in cast.senders {
                connections.append(try await BenchConnection.connect(host: host, port: components.port ?? 443, tls: try member.tlsContext(caPEM: caPEM), group: group))
            }
            return Baseline(url: url, path: components.path.isEmpty ? "/" : components.path, connections: connections, nginx: nginx)
        } catch {
            nginx?.stop()
            throw error
        }
    }

    func close() async {
        for connection in connections { await connection.close() }
        nginx?.stop()
    }
}
