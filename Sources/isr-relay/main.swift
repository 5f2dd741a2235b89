// The relay daemon: a thin shell over ISRRelay. Reads --config (default config/relay.toml) and serves until
// SIGTERM or SIGINT.
import Foundation
import ISRPacket
import ISRRelay
import Logging

let usage = """
    usage: isr-relay [--config FILE]
           isr-relay renew-certificate [--config FILE]
           isr-relay backup --out BACKUP [--config FILE]
           isr-relay restore --from BACKUP [--config FILE]

    Serves the ISR relay over mutual TLS 1.3 as configured in FILE (default config/relay.toml). With the
    shipped configuration on a fresh clone it creates a DEVELOPMENT deployment in certs/ first.
    Stops gracefully on SIGTERM or SIGINT; on SIGHUP re-reads its TLS certificate and key.
    `renew-certificate` issues a new relay certificate (same names, new key) from the deployment CA and writes it over
    the configured files; then send the running relay SIGHUP (no restart needed).
    `backup` copies the SQLite store to a new file while the relay runs and re-hashes the copy's audit log; `restore`
    installs such a copy as the store (which must not exist: stop the relay and move the old one away), after the same
    check. A PostgreSQL store is backed up with pg_dump and restored with pg_restore.
    Exit codes: 0 stopped cleanly (or done), 1 could not start (or the backup failed), 2 usage.
    """

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("isr-relay: error: \(message)\n".utf8))
    exit(code)
}

// A pipe to a child that exited (an alert command) must fail that write with EPIPE, not end the relay.
signal(SIGPIPE, SIG_IGN)
var arguments = Array(CommandLine.arguments.dropFirst())
var configPath = "config/relay.toml"
var renew = false
var backupOut: String?
var restoreFrom: String?
@MainActor func value(_ flag: String) -> String {
    guard let value = arguments.first, !value.hasPrefix("--") else { fail("\(flag) needs a value", code: 2) }
    arguments.removeFirst()
    return value
}
while let argument = arguments.first {
    arguments.removeFirst()
    switch argument {
    case "--version":
        print("isr-relay \(ISRVersion.software) (packet format v\(ISRVersion.packetFormat))")
        exit(0)
    case "--help", "-h":
        print(usage)
        exit(0)
    case "renew-certificate":
        renew = true
    case "backup":
        guard arguments.first == "--out" else { fail("backup needs --out BACKUP (a new file)", code: 2) }
        arguments.removeFirst()
        backupOut = value("--out")
    case "restore":
        guard arguments.first == "--from" else { fail("restore needs --from BACKUP", code: 2) }
        arguments.removeFirst()
        restoreFrom = value("--from")
    case "--config":
        guard let value = arguments.first else { fail("--config needs a file", code: 2) }
        configPath = value
        arguments.removeFirst()
    default:
        fail("unknown argument `\(argument.prefix(80))`; run `isr-relay --help`", code: 2)
    }
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = ProcessInfo.processInfo.environment["ISR_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return handler
}
let logger = Logger(label: "isr-relay")
if renew {
    do {
        let expiry = try RelayServer.renewCertificate(configPath: configPath)
        print("isr-relay: renewed the relay certificate; it expires at \(ISO8601DateFormatter().string(from: expiry)). Send the relay SIGHUP to use it.")
        exit(0)
    } catch {
        fail("cannot renew the relay certificate: \(error)", code: 1)
    }
}
if let out = backupOut {
    do {
        let head = try await RelayBackup.backup(configPath: configPath, out: out)
        print("isr-relay: backed up to \(out): audit log of \(head.size) leaves verified (root \(head.root.prefix(8).map { String(format: "%02x", $0) }.joined())…)")
        exit(0)
    } catch {
        fail("backup failed: \(error)", code: 1)
    }
}
if let from = restoreFrom {
    do {
        let head = try await RelayBackup.restore(configPath: configPath, from: from)
        print("isr-relay: restored \(from): audit log of \(head.size) leaves verified; start the relay")
        exit(0)
    } catch {
        fail("restore failed: \(error)", code: 1)
    }
}
do {
    try await RelayServer.run(configPath: configPath, logger: logger)
} catch let error as ConfigurationError {
    fail(error.message, code: 1)
} catch {
    fail("cannot start: \(error)", code: 1)
}
