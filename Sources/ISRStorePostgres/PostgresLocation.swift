import Foundation
import ISRStore
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL store is, from a `postgres://` URL as libpq writes them: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`,
/// or a Unix socket directory as `postgres://USER@/DB?host=/run/postgresql&port=5432`. `sslmode=disable` (the default, for
/// loopback and sockets) or `sslmode=require` (TLS, certificate checked against the system's roots).
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public var username: String
    var password: String?
    public var database: String
    public var host: String?
    public var port: Int
    public var socketDirectory: String?
    public var requireTLS: Bool

    public init(url text: String) throws(StoreError) {
        guard text.utf8.count <= 2048, let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? "") else {
            throw StoreError(.unavailable, "the store URL must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE (or SQLite's default: no store.url)")
        }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        guard let user = url.user, !user.isEmpty else { throw StoreError(.unavailable, "the store URL names no user (postgres://USER@…)") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw StoreError(.unavailable, "the store URL names no database (…/DATABASE)") }
        username = user
        password = url.password
        self.database = database
        port = url.port ?? Int(query["port"] ?? "") ?? 5432
        host = url.host.flatMap { $0.isEmpty ? nil : $0 }
        socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        if host == nil, socketDirectory == nil { host = "localhost" }
        switch query["sslmode"] ?? "disable" {
        case "disable": requireTLS = false
        case "require", "verify-full": requireTLS = true
        case let other: throw StoreError(.unavailable, "sslmode `\(other)` is not supported; use disable (loopback, socket) or require")
        }
        guard (1...65535).contains(port) else { throw StoreError(.unavailable, "the store URL's port \(port) is out of range") }
    }

    /// The URL without its password, for logs and errors.
    public var description: String {
        let place = socketDirectory.map { "@/\(database)?host=\($0)&port=\(port)" } ?? "@\(host ?? "localhost"):\(port)/\(database)"
        return "postgres://\(username)\(place)"
    }

    func configuration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS = requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
            configuration = .init(host: host ?? "localhost", port: port, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
