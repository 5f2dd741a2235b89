import Foundation
import NIOCore
import NIOPosix

/// A plain nginx on loopback as the baseline: TLS 1.3 with the relay's certificate, a client certificate required
/// against the deployment CA, keep-alive, and `201` for every request without reading anything into a store.
public final class NginxBaseline: @unchecked Sendable {
    let process: Process
    public let url: String

    public init(directory: String, group: any EventLoopGroup, executable: String = "/usr/sbin/nginx") async throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchError("--baseline-nginx needs nginx (\(executable)); install it with `apt-get install -y nginx-light`, or pass --baseline-url")
        }
        let port = try await Self.freePort(group: group)
        let config = """
            worker_processes auto;
            daemon off;
            pid \(directory)/nginx.pid;
            error_log \(directory)/nginx-error.log warn;
            events { worker_connections 16384; }
            http {
                access_log off;
                client_body_temp_path \(directory)/nginx-body;
                keepalive_requests 100000000;
                keepalive_timeout 300s;
                client_body_buffer_size 128k;
                client_max_body_size 1m;
                server {
                    listen 127.0.0.1:\(port) ssl;
                    ssl_protocols TLSv1.3;
                    ssl_certificate \(directory)/relay.pem;
                    ssl_certificate_key \(directory)/relay.key;
                    ssl_client_certificate \(directory)/ca.pem;
                    ssl_verify_client on;
                    location / { return 201 '{}'; }
                }
            }

            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/nginx.conf"))
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", directory + "/nginx.conf", "-p", directory, "-e", directory + "/nginx-error.log"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        url = "https://127.0.0.1:\(port)/"
        // Wait (at most 10 s) until it accepts connections.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get().close().get()) != nil { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        let log = (try? String(contentsOfFile: directory + "/nginx-error.log", encoding: .utf8)) ?? ""
        throw BenchError("nginx did not start: \(log.suffix(300))")
    }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// A loopback port nothing listens on right now.
    static func freePort(group: any EventLoopGroup) async throws -> Int {
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        guard port > 0 else { throw BenchError("could not find a free loopback port for nginx") }
        return port
    }
}
