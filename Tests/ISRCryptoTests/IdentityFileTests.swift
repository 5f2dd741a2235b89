import Foundation
import Testing
@testable import ISRCrypto

@Suite struct IdentityFileTests {
    let passphrase = SecretBytes(utf8: "correct horse battery staple")

    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "isr-identity-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func sealSaveLoadUnlockRoundTrip() throws {
        let keys = PractitionerKeys.generate()
        let file = try IdentityFile.seal(identity: "alice@school-a", keys: keys, passphrase: passphrase, kdf: .interactive())
        let dir = try temporaryDirectory()
        let path = dir + "/identity.json"
        try file.save(to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let loaded = try IdentityFile.load(from: path)
        #expect(loaded == file)
        let unlocked = try loaded.unlock(passphrase: passphrase)
        #expect(unlocked.signing.publicKey == keys.signing.publicKey)
        #expect(unlocked.encryption.publicKey == keys.encryption.publicKey)
        #expect(unlocked.signing.seed.constantTimeEquals(keys.signing.seed))
        let text = String(decoding: loaded.encoded(), as: UTF8.self)
        #expect(text.contains("\"ops_limit\"") && text.contains("\"argon2id13\""), "KDF parameters are recorded in the file")
    }

    @Test func aTLSKeyTravelsUnderTheSamePassphrase() throws {
        let tls = SecretBytes.random(count: 32)
        let keys = PractitionerKeys(signing: .generate(), encryption: .generate(), tlsKey: tls)
        let file = try IdentityFile.seal(identity: "erin@school-a", keys: keys, passphrase: passphrase, kdf: .interactive())
        let reread = try IdentityFile(encoded: file.encoded())
        #expect(try reread.unlock(passphrase: passphrase).tlsKey?.constantTimeEquals(tls) == true)
        #expect(try IdentityFile.seal(identity: "x@y", keys: .generate(), passphrase: passphrase, kdf: .interactive()).unlock(passphrase: passphrase).tlsKey == nil)
        #expect(throws: CryptoError.self) {
            try IdentityFile.seal(identity: "x@y", keys: PractitionerKeys(signing: .generate(), encryption: .generate(), tlsKey: .random(count: 31)),
                                  passphrase: passphrase, kdf: .interactive())
        }
    }

    @Test func wrongPassphraseIsAClearErrorAndWritesNothing() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/identity.json"
        try IdentityFile.seal(identity: "bob@health", keys: .generate(), passphrase: passphrase, kdf: .interactive()).save(to: path)
        let before = try FileManager.default.contentsOfDirectory(atPath: dir)
        let error = #expect(throws: CryptoError.self) {
            try IdentityFile.load(from: path).unlock(passphrase: SecretBytes(utf8: "wrong"))
        }
        #expect(error?.code == .wrongPassphrase)
        #expect(error?.message.contains("bob@health") == true)
        #expect(error?.message.contains("wrong") == false, "the passphrase never appears in an error")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == before, "no partial or temporary file")
    }

    @Test func alteredParametersOrKeysDoNotUnlock() throws {
        let file = try IdentityFile.seal(identity: "carol@police", keys: .generate(), passphrase: passphrase, kdf: .interactive())
        let json = String(decoding: file.encoded(), as: UTF8.self)
        // Raising opslimit (still in bounds) changes the associated data, so unlocking fails rather than using other parameters.
        let raised = json.replacingOccurrences(of: "\"ops_limit\" : 2", with: "\"ops_limit\" : 3")
        #expect(raised != json)
        let error = #expect(throws: CryptoError.self) { try IdentityFile(encoded: Array(raised.utf8)).unlock(passphrase: passphrase) }
        #expect(error?.code == .wrongPassphrase)
        let otherKey = Data(PractitionerKeys.generate().signing.publicKey.bytes).base64EncodedString()
        let swapped = json.replacingOccurrences(of: Data(file.signingPublicKey.bytes).base64EncodedString(), with: otherKey)
        #expect(throws: CryptoError.self) { try IdentityFile(encoded: Array(swapped.utf8)).unlock(passphrase: passphrase) }
    }

    @Test func malformedFilesAreRefusedBeforeAnyKeyDerivation() throws {
        let file = try IdentityFile.seal(identity: "dan@mash", keys: .generate(), passphrase: passphrase, kdf: .interactive())
        let json = String(decoding: file.encoded(), as: UTF8.self)
        let cases: [(String, CryptoError.Code)] = [
            ("not json", .identityFileInvalid),
            (json.replacingOccurrences(of: "isr-identity/v1", with: "isr-identity/v9"), .identityFileInvalid),
            (json.replacingOccurrences(of: "argon2id13", with: "scrypt"), .identityFileInvalid),
            (json.replacingOccurrences(of: "\"ops_limit\" : 2", with: "\"ops_limit\" : 1"), .kdfParametersRejected),
            (json.replacingOccurrences(of: "\"mem_limit\" : 67108864", with: "\"mem_limit\" : 1099511627776"), .kdfParametersRejected),
            (json.replacingOccurrences(of: "dan@mash", with: "dan smith"), .identityFileInvalid),
        ]
        for (text, code) in cases {
            #expect(text != json || text == "not json")
            let error = #expect(throws: CryptoError.self) { try IdentityFile(encoded: Array(text.utf8)) }
            #expect(error?.code == code, "\(text.prefix(60))")
        }
        let huge = [UInt8](repeating: 0x20, count: IdentityFile.maximumFileBytes + 1)
        #expect(throws: CryptoError(.identityFileTooLarge, "an identity file is at most 16384 bytes; this one is 16385")) {
            try IdentityFile(encoded: huge)
        }
        let dir = try temporaryDirectory()
        #expect(FileManager.default.createFile(atPath: dir + "/big.json", contents: Data(huge)))
        let error = #expect(throws: CryptoError.self) { try IdentityFile.load(from: dir + "/big.json") }
        #expect(error?.code == .identityFileTooLarge)
        let missing = #expect(throws: CryptoError.self) { try IdentityFile.load(from: dir + "/missing.json") }
        #expect(missing?.code == .fileSystem)
        #expect(throws: CryptoError.self) {
            try IdentityFile.seal(identity: "x@y", keys: .generate(), passphrase: SecretBytes(utf8: ""), kdf: .interactive())
        }
    }

    @Test func kdfIsDeterministicForASaltAndBounded() throws {
        let kdf = PassphraseKDF(opsLimit: PassphraseKDF.minimumOps, memLimit: PassphraseKDF.minimumMemory, salt: [UInt8](repeating: 7, count: 16))
        let a = try kdf.deriveKey(from: passphrase)
        let b = try kdf.deriveKey(from: SecretBytes(utf8: "correct horse battery staple"))
        let c = try kdf.deriveKey(from: SecretBytes(utf8: "correct horse battery stapl"))
        #expect(a.constantTimeEquals(b))
        #expect(!a.constantTimeEquals(c))
        #expect(throws: CryptoError.self) { try PassphraseKDF(opsLimit: 2, memLimit: 1 << 26, salt: [1, 2]).validate() }
        #expect(throws: CryptoError.self) { try PassphraseKDF(opsLimit: 100, memLimit: 1 << 26, salt: kdf.salt).validate() }
    }

    @Test func atomicWriteReplacesWholeFiles() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/record"
        try AtomicFile.write(Array("first".utf8), to: path)
        try AtomicFile.write(Array("second".utf8), to: path)
        #expect(try AtomicFile.read(path, limit: 100) == Array("second".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["record"])
        #expect(throws: CryptoError.self) { try AtomicFile.write([1], to: dir + "/no/such/dir/file") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["record"])
    }

    @Test func aReKeyedIdentityKeepsItsEarlierEncryptionKeysUnderTheSamePassphrase() throws {
        let tls = SecretBytes(count: 32) { $0.initializeMemory(as: UInt8.self, repeating: 9) }
        let first = PractitionerKeys(signing: .generate(), encryption: .generate(), tlsKey: tls)
        let second = try first.rekeyed(tlsKey: tls)
        let third = try second.rekeyed(tlsKey: nil)
        #expect(third.previousEncryption.map(\.publicKey) == [second.encryption.publicKey, first.encryption.publicKey])
        #expect(third.signing.publicKey != second.signing.publicKey && second.signing.publicKey != first.signing.publicKey)
        let file = try IdentityFile.seal(identity: "bob@devon-csc", keys: third, passphrase: passphrase, kdf: .interactive())
        let loaded = try IdentityFile(encoded: file.encoded())
        #expect(loaded.previousEncryptionPublicKeys == [second.encryption.publicKey, first.encryption.publicKey] && loaded.secretByteCount == 64 + 64)
        let unlocked = try loaded.unlock(passphrase: passphrase)
        // What was sealed to the first key still opens; the secret layout round-trips as the unlock agent hands it over.
        let sealed = first.encryption.publicKey.seal(SecretBytes(utf8: "for the old key"))
        #expect(try unlocked.open(sealed).withUnsafeBytes { Array($0) } == Array("for the old key".utf8))
        let again = try PractitionerKeys(secretBytes: unlocked.secretBytes(), previousCount: 2)
        #expect(again.previousEncryption.map(\.publicKey) == unlocked.previousEncryption.map(\.publicKey) && again.tlsKey == nil)
        #expect(throws: CryptoError.self) { try PractitionerKeys(secretBytes: unlocked.secretBytes(), previousCount: 3) }
        // An older identity file (no previous keys) reads unchanged, and the list of previous keys is authenticated.
        #expect(try IdentityFile.seal(identity: "x@y", keys: first, passphrase: passphrase, kdf: .interactive()).encoded().count > 0)
        var document = try #require(try JSONSerialization.jsonObject(with: Data(file.encoded())) as? [String: Any])
        var previous = try #require(document["previous_encryption_public_keys"] as? [String])
        previous.swapAt(0, 1)
        document["previous_encryption_public_keys"] = previous
        let swapped = try IdentityFile(encoded: Array(try JSONSerialization.data(withJSONObject: document)))
        #expect(throws: CryptoError.self) { try swapped.unlock(passphrase: passphrase) }
        // One key dropped from the list: the secrets' length then reads as a TLS key, and unlocking fails all the same.
        document["previous_encryption_public_keys"] = Array(previous.prefix(1))
        #expect(throws: CryptoError.self) { try IdentityFile(encoded: Array(try JSONSerialization.data(withJSONObject: document))).unlock(passphrase: passphrase) }
        document["previous_encryption_public_keys"] = []
        #expect(throws: CryptoError.self) { try IdentityFile(encoded: Array(try JSONSerialization.data(withJSONObject: document))) }
    }
}
