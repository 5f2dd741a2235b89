/// Argon2id (libsodium `crypto_pwhash`, v1.3) parameters for turning a passphrase into a file key.
/// They are recorded in each identity file, so they can be raised later without breaking old files.
public struct PassphraseKDF: Sendable, Equatable, Codable {
    /// Passes over memory (`opslimit`).
    public let opsLimit: UInt64
    /// Memory in bytes (`memlimit`).
    public let memLimit: UInt64
    /// 16 random bytes, fresh for each file.
    public let salt: [UInt8]

    /// libsodium's MODERATE limits (3 passes, 256 MiB): the default for identities at rest.
    public static func moderate() -> PassphraseKDF {
        PassphraseKDF(opsLimit: Sodium.argon2idModerate.ops, memLimit: Sodium.argon2idModerate.mem, salt: freshSalt())
    }

    /// libsodium's INTERACTIVE limits (2 passes, 64 MiB): the floor ISR accepts; quick enough for tests.
    public static func interactive() -> PassphraseKDF {
        PassphraseKDF(opsLimit: Sodium.argon2idInteractive.ops, memLimit: Sodium.argon2idInteractive.mem, salt: freshSalt())
    }

    /// The same cost with a new salt: for a file re-sealed under the same passphrase (a re-key).
    public func withFreshSalt() -> PassphraseKDF {
        PassphraseKDF(opsLimit: opsLimit, memLimit: memLimit, salt: Self.freshSalt())
    }

    /// Bounds a file may ask for: at least INTERACTIVE (weaker is refused), and at most 16 passes and 4 GiB so a
    /// crafted file cannot make the client allocate without limit.
    public static let minimumOps = Sodium.argon2idInteractive.ops
    public static let minimumMemory = Sodium.argon2idInteractive.mem
    public static let maximumOps: UInt64 = 16
    public static let maximumMemory: UInt64 = 4 << 30

    public init(opsLimit: UInt64, memLimit: UInt64, salt: [UInt8]) {
        self.opsLimit = opsLimit
        self.memLimit = memLimit
        self.salt = salt
    }

    /// Throws `kdfParametersRejected` (saying which bound) unless the parameters are within the accepted range.
    public func validate() throws(CryptoError) {
        guard salt.count == Sodium.pwhashSaltBytes else {
            throw CryptoError(.kdfParametersRejected, "the Argon2id salt must be 16 bytes, got \(salt.count)")
        }
        guard (Self.minimumOps...Self.maximumOps).contains(opsLimit) else {
            throw CryptoError(.kdfParametersRejected, "Argon2id opslimit \(opsLimit) is outside \(Self.minimumOps)...\(Self.maximumOps)")
        }
        guard (Self.minimumMemory...Self.maximumMemory).contains(memLimit) else {
            throw CryptoError(.kdfParametersRejected, "Argon2id memlimit \(memLimit) bytes is outside \(Self.minimumMemory)...\(Self.maximumMemory)")
        }
    }

    /// Derives a 32-byte key from `passphrase`.
    public func deriveKey(from passphrase: SecretBytes) throws(CryptoError) -> SecretBytes {
        try validate()
        return try SecretBytes(count: ContentKey.byteCount) { out throws(CryptoError) in
            let ok = passphrase.withUnsafeBytes { p in
                salt.withUnsafeBytes { s in Sodium.argon2id(passphrase: p, salt: s, opsLimit: opsLimit, memLimit: memLimit, into: out) }
            }
            guard ok else {
                throw CryptoError(.kdfParametersRejected, "Argon2id could not run with memlimit \(memLimit) bytes (out of memory?)")
            }
        }
    }

    private static func freshSalt() -> [UInt8] {
        var salt = [UInt8](repeating: 0, count: Sodium.pwhashSaltBytes)
        salt.withUnsafeMutableBytes { Sodium.randomBytes(into: $0) }
        return salt
    }
}
