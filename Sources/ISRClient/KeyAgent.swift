#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ISRCrypto

/// The per-user unlock agent (`isr unlock`): holds one home's unlocked keys in locked memory for a working session and
/// hands them to that user's `isr` commands over a Unix socket in the home (directory 0700, socket 0600, and each peer's
/// uid checked with SO_PEERCRED), so the passphrase is typed once a day. It ends at its deadline, on `isr lock`, or as
/// soon as the home's identity file changes. Like a passphrase cache, it gives the keys to the user's own commands;
/// anyone who can run code as that user while it runs can use them, which is why it ends by itself.
///
/// Protocol: the client sends one byte, `K` (keys) or `S` (stop); the agent answers `O` followed, for `K`, by the
/// the identity's secret bytes (`PractitionerKeys.secretBytes()` layout, as long as the identity file says), or closes the connection.
public enum KeyAgent {
    public static let maximumSeconds = 24 * 3600

    public static func socketPath(_ home: ISRHome) -> String { home.path + "/agent.sock" }

    // MARK: Client

    /// The keys from a running agent for `home`, checked against the identity file's public keys; nil if none answers.
    public static func keys(for home: ISRHome) -> PractitionerKeys? {
        guard let identity = try? IdentityFile.load(from: home.identityPath), let fd = connect(socketPath(home)) else { return nil }
        defer { close(fd) }
        guard send(fd, [UInt8(ascii: "K")]), let status = receive(fd, count: 1), status == [UInt8(ascii: "O")] else { return nil }
        // The identity file says how many bytes its keys take (64 or 96, and 32 per key kept from before a re-key).
        let expected = identity.secretByteCount
        var buffer = [UInt8](repeating: 0, count: expected)
        var got = 0
        while got < expected {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + got }, expected - got) }
            guard count > 0 else { break }
            got += count
        }
        guard got == expected else {
            buffer.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) }
            return nil
        }
        var secret = buffer
        buffer.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) }
        guard let keys = try? PractitionerKeys(secretBytes: SecretBytes(consuming: &secret), previousCount: identity.previousEncryptionPublicKeys.count),
              keys.signing.publicKey == identity.signingPublicKey, keys.encryption.publicKey == identity.encryptionPublicKey else { return nil }
        return keys
    }

    /// Asks the agent for `home` to stop; true if one was running and acknowledged.
    public static func stop(_ home: ISRHome) -> Bool {
        guard let fd = connect(socketPath(home)) else { return false }
        defer { close(fd) }
        return send(fd, [UInt8(ascii: "S")]) && receive(fd, count: 1) == [UInt8(ascii: "O")]
    }

    // MARK: Server

    /// Serves `keys` until `deadline`, a stop request, or a change to the identity file; removes the socket on the way out.
    /// `onListening` runs once the socket accepts connections.
    public static func serve(_ keys: PractitionerKeys, home: ISRHome, until deadline: Date, onListening: () -> Void = {}) throws(ClientError) {
        let path = socketPath(home)
        if let fd = connect(path) {
            close(fd)
            throw ClientError(.local, "an agent is already running for \(home.path); run `isr lock` first")
        }
        unlink(path)
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw ClientError(.local, "cannot create the agent's socket") }
        defer {
            close(listener)
            unlink(path)
        }
        var address = try unixAddress(path)
        let oldMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        umask(oldMask)
        guard bound == 0, chmod(path, 0o600) == 0, listen(listener, 16) == 0 else { throw ClientError(.local, "cannot listen on \(path)") }
        let identityStamp = stamp(home.identityPath)
        let me = getuid()
        onListening()
        while Date() < deadline, stamp(home.identityPath) == identityStamp {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 1000) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            defer { close(client) }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var credentials = PeerCredentials()
            var length = socklen_t(MemoryLayout<PeerCredentials>.size)
            guard getsockopt(client, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.uid == me else { continue }
            guard let request = receive(client, count: 1) else { continue }
            switch request {
            case [UInt8(ascii: "K")]:
                let secrets = keys.secretBytes()
                _ = send(client, [UInt8(ascii: "O")])
                _ = secrets.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            case [UInt8(ascii: "S")]:
                _ = send(client, [UInt8(ascii: "O")])
                return
            default:
                continue
            }
        }
    }

    // MARK: Sockets

    /// Linux's `struct ucred` (pid, uid, gid), which Glibc's module does not export without _GNU_SOURCE.
    struct PeerCredentials {
        var pid: Int32 = 0
        var uid: UInt32 = UInt32.max
        var gid: UInt32 = UInt32.max
    }

    static func unixAddress(_ path: String) throws(ClientError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ClientError(.local, "the home path is too long for the agent's socket; use a shorter --home")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    static func connect(_ path: String) -> Int32? {
        guard var address = try? unixAddress(path) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    static func receive(_ fd: Int32, count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, count) }
        return got == count ? buffer : nil
    }

    /// What identifies a version of the identity file: inode, size and modification time.
    static func stamp(_ path: String) -> [Int] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        return [Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    }
}
