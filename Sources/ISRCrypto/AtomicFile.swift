#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that readers see either the old content or the complete new content, never a part:
/// write a temporary sibling (created exclusively, mode 0600 by default), fsync it, rename over the target, fsync the directory.
public enum AtomicFile {
    /// Replaces `path` with `bytes`. On any failure the target is untouched and the temporary file is removed.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(CryptoError) {
        let directory = parentDirectory(of: path)
        var suffix = [UInt8](repeating: 0, count: 8)
        suffix.withUnsafeMutableBytes { Sodium.randomBytes(into: $0) }
        let temporary = path + ".tmp-" + suffix.map { String($0, radix: 16) }.joined()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while written < raw.count, let base = raw.baseAddress {
                let n = systemWrite(fd, base + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let error = failure("cannot write \(path)")
            unlink(temporary)
            throw error
        }
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    /// Reads at most `limit` bytes; a larger file is refused rather than read (inputs from files are bounded).
    public static func read(_ path: String, limit: Int) throws(CryptoError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot open \(path)") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        var total = 0
        while total <= limit {
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return systemRead(fd, base + total, limit + 1 - total)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read \(path)")
            }
            if n == 0 { break }
            total += n
        }
        guard total <= limit else {
            throw CryptoError(.identityFileTooLarge, "\(path) is larger than the \(limit)-byte limit for this kind of file")
        }
        return Array(buffer[..<total])
    }

    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
        #else
        Darwin.write(fd, buffer, count)
        #endif
    }

    private static func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
        #else
        Darwin.read(fd, buffer, count)
        #endif
    }

    private static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    private static func failure(_ what: String) -> CryptoError {
        let reason = String(cString: strerror(errno))
        return CryptoError(.fileSystem, "\(what): \(reason)")
    }
}
