/// Secret key material in memory that is zeroed (`sodium_memzero`) when the last reference goes.
///
/// A class, not an array, so that no copy can escape zeroing. Contents are written only inside
/// `init`, so sharing across tasks is safe without a lock (hence `@unchecked Sendable`).
public final class SecretBytes: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer

    /// The number of secret bytes.
    public var count: Int { storage.count }

    /// Allocates `count` zeroed bytes and lets `fill` write them. If `fill` throws, `deinit` still runs
    /// (every stored property is set by then), so the partial secret is zeroed and freed exactly once.
    public init<E: Error>(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 0), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        try fill(storage)
    }

    /// Fresh random bytes from libsodium's CSPRNG.
    public static func random(count: Int) -> SecretBytes {
        SecretBytes(count: count) { Sodium.randomBytes(into: $0) }
    }

    /// Copies `bytes` (and zeroes the caller's array afterwards when it is `inout`).
    public convenience init(consuming bytes: inout [UInt8]) {
        self.init(count: bytes.count) { dst in
            bytes.withUnsafeBytes { dst.copyMemory(from: $0) }
        }
        bytes.withUnsafeMutableBytes { Sodium.memzero($0) }
    }

    /// The UTF-8 bytes of a passphrase. The `String` itself cannot be zeroed; keep its lifetime short.
    public convenience init(utf8 text: String) {
        var bytes = Array(text.utf8)
        self.init(consuming: &bytes)
    }

    /// Read access for the duration of `body`; do not let the pointer escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(storage))
    }

    /// Keeps these bytes out of swap for their lifetime (for long-lived secrets such as the unlock agent's keys).
    /// False if the system refused to lock the pages.
    @discardableResult
    public func lockInMemory() -> Bool {
        Sodium.lock(storage)
    }

    /// Constant-time comparison with another secret.
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        withUnsafeBytes { a in other.withUnsafeBytes { b in Sodium.constantTimeEqual(a, b) } }
    }

    deinit {
        Sodium.memzero(storage)
        storage.deallocate()
    }
}
extension SecretBytes: ContiguousByteStorage {}
