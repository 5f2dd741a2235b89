import Foundation

/// A practitioner's private keys at rest: JSON holding the public keys in the clear and the two 32-byte
/// secrets encrypted with XChaCha20-Poly1305 under a key derived from a passphrase by Argon2id.
///
/// The identity label, public keys and KDF parameters are the associated data, so none of them can be
/// altered (to weaken the KDF, or to swap in another public key) without unlocking failing.
public struct IdentityFile: Sendable, Equatable {
    public static let format = "isr-identity/v1"
    /// Identity files are small; anything larger is refused before parsing.
    public static let maximumFileBytes = 16 * 1024
    static let kdfAlgorithm = "argon2id13"
    static let cipherAlgorithm = "xchacha20poly1305-ietf"
    /// Ed25519 seed and X25519 secret; a TLS key adds 32 more.
    static let secretsByteCount = 64
    static let secretsWithTLSByteCount = 96

    /// Whose keys these are (a member id such as `alice@school-a`): 1–128 printable ASCII characters.
    public let identity: String
    public let signingPublicKey: SigningPublicKey
    public let encryptionPublicKey: EncryptionPublicKey
    /// The public halves of the encryption keys held before each `isr rekey`, newest first.
    public let previousEncryptionPublicKeys: [EncryptionPublicKey]
    public let kdf: PassphraseKDF
    /// `nonce(24) || ciphertext || tag(16)` of `ed25519-seed || x25519-secret [|| tls-key] || previous x25519 secrets`.
    let sealedSecrets: [UInt8]

    /// Encrypts `keys` under `passphrase`. The derived key and the plaintext are zeroed before returning.
    public static func seal(identity: String, keys: PractitionerKeys, passphrase: SecretBytes, kdf: PassphraseKDF = .moderate()) throws(CryptoError) -> IdentityFile {
        try validate(identity: identity)
        guard passphrase.count > 0 else {
            throw CryptoError(.wrongPassphrase, "the passphrase is empty; choose a passphrase (a long phrase is best)")
        }
        let fileKey = try ContentKey(kdf.deriveKey(from: passphrase))
        if let tls = keys.tlsKey, tls.count != 32 {
            throw CryptoError(.invalidKeyLength, "a TLS private key scalar is 32 bytes, got \(tls.count)")
        }
        let plaintext = keys.secretBytes()
        let previous = keys.previousEncryption.map(\.publicKey)
        let ad = associatedData(identity: identity, signing: keys.signing.publicKey, encryption: keys.encryption.publicKey, previous: previous, kdf: kdf)
        return IdentityFile(identity: identity, signingPublicKey: keys.signing.publicKey, encryptionPublicKey: keys.encryption.publicKey,
                            previousEncryptionPublicKeys: previous, kdf: kdf, sealedSecrets: fileKey.encrypt(plaintext, associatedData: ad))
    }

    /// Decrypts the keys. A wrong passphrase (or any altered byte) gives `wrongPassphrase`; nothing is written anywhere.
    public func unlock(passphrase: SecretBytes) throws(CryptoError) -> PractitionerKeys {
        let fileKey = try ContentKey(kdf.deriveKey(from: passphrase))
        let ad = Self.associatedData(identity: identity, signing: signingPublicKey, encryption: encryptionPublicKey, previous: previousEncryptionPublicKeys, kdf: kdf)
        let secrets: SecretBytes
        do {
            secrets = try fileKey.decryptSecret(sealedSecrets, associatedData: ad)
        } catch {
            throw CryptoError(.wrongPassphrase, "the passphrase does not unlock the identity `\(identity)` (or the file was altered); check ISR_PASSPHRASE or --passphrase-file")
        }
        guard secrets.count == secretByteCount else {
            throw CryptoError(.identityFileInvalid, "the identity file holds \(secrets.count) secret bytes, expected \(secretByteCount)")
        }
        let keys = try PractitionerKeys(secretBytes: secrets, previousCount: previousEncryptionPublicKeys.count)
        // Authenticated above, so a mismatch means the file was written by something that is not ISR.
        guard keys.signing.publicKey == signingPublicKey, keys.encryption.publicKey == encryptionPublicKey,
              keys.previousEncryption.map(\.publicKey) == previousEncryptionPublicKeys else {
            throw CryptoError(.identityFileInvalid, "the identity file's public keys do not match its secret keys")
        }
        return keys
    }

    /// How many secret bytes the file seals (the `PractitionerKeys.secretBytes()` layout): what the unlock agent hands over.
    public var secretByteCount: Int { sealedSecrets.count - ContentKey.nonceByteCount - ContentKey.tagByteCount }

    // MARK: Encoding

    private struct Document: Codable {
        struct KDF: Codable {
            var algorithm: String
            var opsLimit: UInt64
            var memLimit: UInt64
            var salt: String
        }
        struct Cipher: Codable {
            var algorithm: String
            var sealedSecrets: String
        }
        var format: String
        var identity: String
        var signingPublicKey: String
        var encryptionPublicKey: String
        var previousEncryptionPublicKeys: [String]?
        var kdf: KDF
        var cipher: Cipher
    }

    /// Pretty, key-sorted JSON (snake_case keys).
    public func encoded() -> [UInt8] {
        let document = Document(
            format: Self.format, identity: identity,
            signingPublicKey: Data(signingPublicKey.bytes).base64EncodedString(),
            encryptionPublicKey: Data(encryptionPublicKey.bytes).base64EncodedString(),
            previousEncryptionPublicKeys: previousEncryptionPublicKeys.isEmpty ? nil : previousEncryptionPublicKeys.map { Data($0.bytes).base64EncodedString() },
            kdf: .init(algorithm: Self.kdfAlgorithm, opsLimit: kdf.opsLimit, memLimit: kdf.memLimit, salt: Data(kdf.salt).base64EncodedString()),
            cipher: .init(algorithm: Self.cipherAlgorithm, sealedSecrets: Data(sealedSecrets).base64EncodedString()))
        // Encoding plain strings and integers cannot fail.
        return Array((try? ISRJSON.encoder(pretty: true).encode(document)) ?? Data()) + [0x0a]
    }

    /// Parses and validates an identity file; every field is checked before any key is derived.
    public init(encoded bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count <= Self.maximumFileBytes else {
            throw CryptoError(.identityFileTooLarge, "an identity file is at most \(Self.maximumFileBytes) bytes; this one is \(bytes.count)")
        }
        guard let document = try? ISRJSON.decoder().decode(Document.self, from: Data(bytes)) else {
            throw CryptoError(.identityFileInvalid, "this is not an ISR identity file (expected JSON with format `\(Self.format)`)")
        }
        guard document.format == Self.format else {
            throw CryptoError(.identityFileInvalid, "identity file format `\(document.format)` is not supported; this version reads `\(Self.format)`")
        }
        guard document.kdf.algorithm == Self.kdfAlgorithm, document.cipher.algorithm == Self.cipherAlgorithm else {
            throw CryptoError(.identityFileInvalid, "identity file algorithms must be \(Self.kdfAlgorithm) and \(Self.cipherAlgorithm)")
        }
        try Self.validate(identity: document.identity)
        func decode(_ text: String, _ field: String) throws(CryptoError) -> [UInt8] {
            guard let data = Data(base64Encoded: text) else {
                throw CryptoError(.identityFileInvalid, "identity file field `\(field)` is not valid base64")
            }
            return Array(data)
        }
        let kdf = PassphraseKDF(opsLimit: document.kdf.opsLimit, memLimit: document.kdf.memLimit, salt: try decode(document.kdf.salt, "kdf.salt"))
        try kdf.validate()
        let sealed = try decode(document.cipher.sealedSecrets, "cipher.sealed_secrets")
        let previousText = document.previousEncryptionPublicKeys ?? []
        guard previousText.count <= PractitionerKeys.maximumPreviousKeys else {
            throw CryptoError(.identityFileInvalid, "an identity file keeps at most \(PractitionerKeys.maximumPreviousKeys) previous keys")
        }
        var previous: [EncryptionPublicKey] = []
        for text in previousText { previous.append(try EncryptionPublicKey(bytes: decode(text, "previous_encryption_public_keys"))) }
        let overhead = ContentKey.nonceByteCount + ContentKey.tagByteCount + 32 * previous.count
        guard sealed.count == overhead + Self.secretsByteCount || sealed.count == overhead + Self.secretsWithTLSByteCount else {
            throw CryptoError(.identityFileInvalid, "identity file field `cipher.sealed_secrets` has the wrong length")
        }
        self.init(identity: document.identity,
                  signingPublicKey: try SigningPublicKey(bytes: decode(document.signingPublicKey, "signing_public_key")),
                  encryptionPublicKey: try EncryptionPublicKey(bytes: decode(document.encryptionPublicKey, "encryption_public_key")),
                  previousEncryptionPublicKeys: previous, kdf: kdf, sealedSecrets: sealed)
    }

    /// Reads and validates `path` (bounded to `maximumFileBytes`).
    public static func load(from path: String) throws(CryptoError) -> IdentityFile {
        try IdentityFile(encoded: AtomicFile.read(path, limit: maximumFileBytes))
    }

    /// Writes atomically with mode 0600: the old file or the new one, never a part.
    public func save(to path: String) throws(CryptoError) {
        try AtomicFile.write(encoded(), to: path, mode: 0o600)
    }

    private init(identity: String, signingPublicKey: SigningPublicKey, encryptionPublicKey: EncryptionPublicKey,
                 previousEncryptionPublicKeys: [EncryptionPublicKey], kdf: PassphraseKDF, sealedSecrets: [UInt8]) {
        self.identity = identity
        self.signingPublicKey = signingPublicKey
        self.encryptionPublicKey = encryptionPublicKey
        self.previousEncryptionPublicKeys = previousEncryptionPublicKeys
        self.kdf = kdf
        self.sealedSecrets = sealedSecrets
    }

    static func validate(identity: String) throws(CryptoError) {
        guard (1...128).contains(identity.utf8.count), identity.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw CryptoError(.identityFileInvalid, "an identity label is 1–128 printable ASCII characters without spaces")
        }
    }

    /// `"isr/v1/identity-file" || 0x00 || u8 len || identity || signing pk || encryption pk || u64be ops || u64be mem || salt`,
    /// then each previous encryption pk (none for an identity never re-keyed, so older files read unchanged).
    static func associatedData(identity: String, signing: SigningPublicKey, encryption: EncryptionPublicKey, previous: [EncryptionPublicKey],
                               kdf: PassphraseKDF) -> [UInt8] {
        var ad = Array("isr/v1/identity-file".utf8) + [0, UInt8(identity.utf8.count)] + Array(identity.utf8)
        ad += signing.bytes + encryption.bytes
        for value in [kdf.opsLimit, kdf.memLimit] {
            ad += (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> (UInt64($0) * 8)) }
        }
        return ad + kdf.salt + previous.flatMap(\.bytes)
    }
}
