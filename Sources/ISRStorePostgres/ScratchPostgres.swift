import Foundation
import Synchronization

/// A throw-away PostgreSQL cluster for tests and isr-bench: `initdb` into a new temporary directory, the server on a free
/// loopback port and a private socket directory, kept by a shell that stops it and removes the directory when this
/// process calls `stop()` or ends (however it ends: the keeper waits on a pipe only this process holds open).
/// PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` system user that Debian's package
/// creates. Trust authentication: only this machine's loopback and the private socket can reach it.
public final class ScratchPostgres: Sendable {
    public let directory: String
    public let port: Int
    public let user = "isr"
    let binaries: String
    let runAs: String?

    /// Starts a cluster; throws with what to install if PostgreSQL's server binaries are missing.
    public init() throws {
        guard let binaries = Self.serverBinaries() else {
            throw ScratchPostgresError("PostgreSQL's server is not installed (no initdb under /usr/lib/postgresql/*/bin); install it: apt-get install -y postgresql")
        }
        self.binaries = binaries
        runAs = geteuid() == 0 ? "postgres" : nil
        directory = NSTemporaryDirectory() + "isr-postgres-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let runAs { try Self.run("/bin/chown", [runAs, directory]) }
        port = try Self.freePort()
        do {
            try Self.command(binaries, runAs, "initdb", ["-D", directory + "/data", "-U", user, "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"])
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        lifeline = try Self.startServer(binaries: binaries, runAs: runAs, directory: directory, port: port)
        try waitUntilReady()
    }

    /// Waits (at most 60 s) until the server accepts connections on its socket.
    private func waitUntilReady() throws {
        for _ in 0..<600 {
            if (try? command("pg_isready", ["-q", "-U", user, "-h", directory, "-p", String(port)])) != nil { return }
            usleep(100_000)
        }
        let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
        throw ScratchPostgresError("PostgreSQL did not start within 60 s: \(log.split(separator: "\n").suffix(3).joined(separator: " / "))")
    }

    /// A `postgres://` URL for database `name` over the loopback port.
    public func url(database name: String = "postgres") -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(name)"
    }

    /// A `postgres://` URL for database `name` over the private Unix socket.
    public func socketURL(database name: String = "postgres") -> String {
        "postgres://\(user)@/\(name)?host=\(directory)&port=\(port)"
    }

    /// Creates an empty database and returns its loopback URL.
    public func createDatabase(_ name: String = "isr_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")) throws -> String {
        try command("createdb", ["-h", directory, "-p", String(port), "-U", user, name])
        return url(database: name)
    }

    /// Runs one of the cluster's client programs (`pg_dump`, `psql`, …) against it and returns its standard output.
    @discardableResult
    public func command(_ program: String, _ arguments: [String]) throws -> String {
        try Self.command(binaries, runAs, program, arguments)
    }

    @discardableResult
    static func command(_ binaries: String, _ runAs: String?, _ program: String, _ arguments: [String]) throws -> String {
        let path = binaries + "/" + program
        if let runAs { return try Self.run("/usr/sbin/runuser", ["-u", runAs, "--", path] + arguments) }
        return try Self.run(path, arguments)
    }

    /// Stops the server and waits (at most 30 s) until its files are gone.
    public func stop() {
        lifeline.withLock { descriptor in
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
        for _ in 0..<300 where FileManager.default.fileExists(atPath: directory) { usleep(100_000) }
    }

    // MARK: Plumbing

    /// The write end of the pipe the server's keeper reads: when it closes (`stop()`, or this process ending in any way),
    /// the keeper stops the server and removes the cluster's directory.
    private let lifeline: Mutex<Int32>

    private static func startServer(binaries: String, runAs: String?, directory: String, port: Int) throws -> Mutex<Int32> {
        let server = "\(binaries)/postgres -D \(directory)/data -p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c max_connections=200"
            + " -c fsync=on -c synchronous_commit=on -c log_min_messages=warning"
        let keeper = "\(server) </dev/null >>\(directory)/server.log 2>&1 & server=$!; read line; kill -QUIT $server; wait $server; rm -rf \(directory)"
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw ScratchPostgresError("cannot make a pipe for the PostgreSQL keeper") }
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        let command = (runAs.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + ["/bin/sh", "-c", keeper]
        do {
            _ = try spawn(command) { actions in
                posix_spawn_file_actions_adddup2(&actions, ends[0], 0)
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            }
        } catch {
            close(ends[0])
            close(ends[1])
            throw error
        }
        close(ends[0])
        return Mutex(ends[1])
    }

    /// Starts `argv` with default signal handling and an empty signal mask (this process's threads block signals a
    /// shell's `wait` needs), and none of this process's descriptors beyond the three `files` sets up.
    static func spawn(_ argv: [String], files: (inout posix_spawn_file_actions_t) -> Void) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        files(&actions)
        if let closeFrom { _ = closeFrom(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGCHLD, SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let pointers = argv.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, pointers, environ)
        guard spawned == 0 else { throw ScratchPostgresError("cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not declare.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    static func serverBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ScratchPostgresError("cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ScratchPostgresError("cannot find a free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a program to completion with output in temporary files, reaping it with `waitpid` (Foundation's `Process`
    /// did not notice `runuser` exiting after `pg_ctl` left the server running, and waited forever).
    @discardableResult
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let base = NSTemporaryDirectory() + "isr-postgres-run-" + UUID().uuidString
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let pid = try spawn([path] + arguments) { actions in
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw ScratchPostgresError("lost track of \(path): \(String(cString: strerror(errno)))") }
        }
        let output = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            let errors = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
            let message = errors.split(separator: "\n").suffix(3).joined(separator: " / ")
            throw ScratchPostgresError("\((path as NSString).lastPathComponent) \(arguments.last ?? "") failed (\(exited ? "exit \(code)" : "signal \(status & 0x7f)")): \(message)")
        }
        return output
    }
}

/// Why a scratch cluster could not be made.
public struct ScratchPostgresError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
