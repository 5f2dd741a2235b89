/// Comparisons whose time does not depend on where the inputs differ (libsodium's `sodium_memcmp`).
public enum ConstantTime {
    /// True when both byte sequences are identical. Lengths are compared first and are not treated as secret.
    public static func equal(_ a: some ContiguousByteStorage, _ b: some ContiguousByteStorage) -> Bool {
        a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in Sodium.constantTimeEqual(pa, pb) } }
    }
}

/// Byte containers that expose contiguous storage (arrays and slices of `UInt8`).
public protocol ContiguousByteStorage {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousByteStorage where Element == UInt8 {}
extension ArraySlice: ContiguousByteStorage where Element == UInt8 {}
