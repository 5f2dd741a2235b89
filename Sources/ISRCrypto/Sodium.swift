import CSodium

/// The one place libsodium is called from. Every other file uses these wrappers, so the C surface
/// (pointer lengths, return codes, `sodium_init`) is audited here and nowhere else.
enum Sodium {
    static let signPublicKeyBytes = 32
    static let signSecretKeyBytes = 64
    static let signSeedBytes = 32
    static let signatureBytes = 64
    static let boxPublicKeyBytes = 32
    static let boxSecretKeyBytes = 32
    static let sealOverheadBytes = 48
    static let aeadKeyBytes = 32
    static let aeadNonceBytes = 24
    static let aeadTagBytes = 16
    static let pwhashSaltBytes = 16

    /// `sodium_init` runs exactly once, on first use, before any other call (a `static let` is initialised once, thread-safely).
    private static let ready: Bool = sodium_init() >= 0

    private static func ensureReady() {
        precondition(ready, "libsodium could not initialise (no entropy source?); ISR cannot run without it")
    }

    static func randomBytes(into buffer: UnsafeMutableRawBufferPointer) {
        ensureReady()
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }

    static func memzero(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        sodium_memzero(base, buffer.count)
    }

    /// Constant-time equality; different lengths are unequal (lengths are not secret).
    /// Keeps `buffer`'s pages out of swap (`sodium_mlock`); false if the system refused (e.g. RLIMIT_MEMLOCK).
    static func lock(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        ensureReady()
        guard let base = buffer.baseAddress, buffer.count > 0 else { return true }
        return sodium_mlock(base, buffer.count) == 0
    }

    static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        ensureReady()
        guard a.count == b.count else { return false }
        guard a.count > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        return sodium_memcmp(pa, pb, a.count) == 0
    }

    // MARK: Ed25519

    /// Derives an Ed25519 key pair from a 32-byte seed: writes the 64-byte secret key, returns the public key.
    static func signKeyPair(seed: UnsafeRawBufferPointer, secretKey: UnsafeMutableRawBufferPointer) -> [UInt8] {
        ensureReady()
        precondition(seed.count == signSeedBytes && secretKey.count == signSecretKeyBytes)
        var pk = [UInt8](repeating: 0, count: signPublicKeyBytes)
        pk.withUnsafeMutableBytes { p in
            _ = crypto_sign_seed_keypair(typed(p), typed(secretKey), typed(seed))
        }
        return pk
    }

    static func sign(_ message: UnsafeRawBufferPointer, secretKey: UnsafeRawBufferPointer) -> [UInt8] {
        ensureReady()
        precondition(secretKey.count == signSecretKeyBytes)
        var sig = [UInt8](repeating: 0, count: signatureBytes)
        sig.withUnsafeMutableBytes { s in
            _ = crypto_sign_detached(typed(s), nil, typed(message), UInt64(message.count), typed(secretKey))
        }
        return sig
    }

    static func verify(signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, publicKey: UnsafeRawBufferPointer) -> Bool {
        ensureReady()
        guard signature.count == signatureBytes, publicKey.count == signPublicKeyBytes else { return false }
        return crypto_sign_verify_detached(typed(signature), typed(message), UInt64(message.count), typed(publicKey)) == 0
    }

    // MARK: X25519 and sealed boxes

    /// The X25519 public key for a 32-byte secret scalar.
    static func boxPublicKey(secretKey: UnsafeRawBufferPointer) -> [UInt8] {
        ensureReady()
        precondition(secretKey.count == boxSecretKeyBytes)
        var pk = [UInt8](repeating: 0, count: boxPublicKeyBytes)
        pk.withUnsafeMutableBytes { p in _ = crypto_scalarmult_base(typed(p), typed(secretKey)) }
        return pk
    }

    static func seal(_ message: UnsafeRawBufferPointer, to publicKey: UnsafeRawBufferPointer) -> [UInt8] {
        ensureReady()
        precondition(publicKey.count == boxPublicKeyBytes)
        var out = [UInt8](repeating: 0, count: message.count + sealOverheadBytes)
        out.withUnsafeMutableBytes { o in
            _ = crypto_box_seal(typed(o), typed(message), UInt64(message.count), typed(publicKey))
        }
        return out
    }

    /// Opens a sealed box into `plaintext` (which must be `sealed.count - 48` bytes). False if it was not sealed to this key or was altered.
    static func sealOpen(_ sealed: UnsafeRawBufferPointer, publicKey: UnsafeRawBufferPointer, secretKey: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer) -> Bool {
        ensureReady()
        guard sealed.count >= sealOverheadBytes, plaintext.count == sealed.count - sealOverheadBytes,
              publicKey.count == boxPublicKeyBytes, secretKey.count == boxSecretKeyBytes else { return false }
        return crypto_box_seal_open(typed(plaintext), typed(sealed), UInt64(sealed.count), typed(publicKey), typed(secretKey)) == 0
    }

    // MARK: XChaCha20-Poly1305

    static func aeadEncrypt(_ plaintext: UnsafeRawBufferPointer, associatedData: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> [UInt8] {
        ensureReady()
        precondition(nonce.count == aeadNonceBytes && key.count == aeadKeyBytes)
        var out = [UInt8](repeating: 0, count: plaintext.count + aeadTagBytes)
        out.withUnsafeMutableBytes { o in
            _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                typed(o), nil, typed(plaintext), UInt64(plaintext.count),
                typed(associatedData), UInt64(associatedData.count), nil, typed(nonce), typed(key))
        }
        return out
    }

    /// Decrypts into `plaintext` (`ciphertext.count - 16` bytes); false if the key, nonce, associated data or ciphertext do not match.
    static func aeadDecrypt(_ ciphertext: UnsafeRawBufferPointer, associatedData: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer) -> Bool {
        ensureReady()
        guard ciphertext.count >= aeadTagBytes, plaintext.count == ciphertext.count - aeadTagBytes,
              nonce.count == aeadNonceBytes, key.count == aeadKeyBytes else { return false }
        return crypto_aead_xchacha20poly1305_ietf_decrypt(
            typed(plaintext), nil, nil, typed(ciphertext), UInt64(ciphertext.count),
            typed(associatedData), UInt64(associatedData.count), typed(nonce), typed(key)) == 0
    }

    // MARK: Argon2id

    static let argon2idInteractive = (ops: UInt64(crypto_pwhash_opslimit_interactive()), mem: UInt64(crypto_pwhash_memlimit_interactive()))
    static let argon2idModerate = (ops: UInt64(crypto_pwhash_opslimit_moderate()), mem: UInt64(crypto_pwhash_memlimit_moderate()))
    static let argon2idMinimum = (ops: UInt64(crypto_pwhash_opslimit_min()), mem: UInt64(crypto_pwhash_memlimit_min()))

    /// Argon2id (v1.3) into `output`; false only if libsodium refuses the parameters or cannot allocate `memLimit` bytes.
    static func argon2id(passphrase: UnsafeRawBufferPointer, salt: UnsafeRawBufferPointer, opsLimit: UInt64, memLimit: UInt64, into output: UnsafeMutableRawBufferPointer) -> Bool {
        ensureReady()
        guard salt.count == pwhashSaltBytes, output.count > 0 else { return false }
        let passwd = passphrase.bindMemory(to: CChar.self).baseAddress ?? emptyCString
        return crypto_pwhash(typed(output), UInt64(output.count), passwd, UInt64(passphrase.count), typed(salt),
                             opsLimit, Int(memLimit), crypto_pwhash_alg_argon2id13()) == 0
    }

    // MARK: Pointer helpers

    /// Never read or written through: it only gives zero-length buffers a non-null address.
    nonisolated(unsafe) private static let emptyByte = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private static var emptyInput: UnsafePointer<UInt8> { UnsafePointer(emptyByte) }
    private static var emptyCString: UnsafePointer<CChar> { UnsafeRawPointer(emptyByte).assumingMemoryBound(to: CChar.self) }

    /// libsodium takes `unsigned char *`; an empty Swift buffer has no base address, so it gets a valid one-byte dummy (length 0 is passed alongside).
    private static func typed(_ buffer: UnsafeRawBufferPointer) -> UnsafePointer<UInt8> {
        buffer.bindMemory(to: UInt8.self).baseAddress ?? emptyInput
    }

    private static func typed(_ buffer: UnsafeMutableRawBufferPointer) -> UnsafeMutablePointer<UInt8> {
        buffer.bindMemory(to: UInt8.self).baseAddress ?? emptyByte
    }
}
