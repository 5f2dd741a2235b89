import Testing
@testable import ISRCrypto

@Suite struct SigningKeyTests {
    // RFC 8032 §7.1, test 1: the secret seed and its public key.
    let rfcSeed = [UInt8](hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    let rfcPublic = [UInt8](hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")

    @Test func seedDerivesTheRFC8032PublicKey() throws {
        var seed = rfcSeed
        let pair = try SigningKeyPair(seed: SecretBytes(consuming: &seed))
        #expect(pair.publicKey.bytes == rfcPublic)
        #expect(seed.allSatisfy { $0 == 0 }, "the caller's copy of the seed is zeroed")
    }

    @Test func signatureVerifiesOnlyForTheSameContextAndBytes() {
        let pair = SigningKeyPair.generate()
        let data: [UInt8] = Array("header bytes".utf8)
        let signature = pair.sign(data, context: .header)
        #expect(signature.count == 64)
        #expect(pair.publicKey.isValidSignature(signature, for: data, context: .header))
        #expect(!pair.publicKey.isValidSignature(signature, for: data, context: .receipt), "domain separation")
        var altered = data
        altered[0] ^= 1
        #expect(!pair.publicKey.isValidSignature(signature, for: altered, context: .header))
        var badSignature = signature
        badSignature[63] ^= 0x80
        #expect(!pair.publicKey.isValidSignature(badSignature, for: data, context: .header))
        #expect(!SigningKeyPair.generate().publicKey.isValidSignature(signature, for: data, context: .header))
        #expect(throws: CryptoError.self) { try pair.publicKey.verify(signature, for: data, context: .checkpoint) }
    }

    @Test func contextIsPrefixedWithASeparator() throws {
        // "isr/v1/header" || 0x00 || data: a signature over context A and data "x" is not one over "isr/v1/heade" and "rx".
        let pair = SigningKeyPair.generate()
        let signature = pair.sign(Array("x".utf8), context: .header)
        let shifted = try SignatureContext("isr/v1/heade")
        #expect(!pair.publicKey.isValidSignature(signature, for: Array("r\u{0}x".utf8), context: shifted))
        #expect(SignatureContext.header.message(for: [UInt8]([7])) == Array("isr/v1/header".utf8) + [0, 7])
    }

    @Test func badLengthsAndContextsAreRefused() {
        #expect(throws: CryptoError(.invalidKeyLength, "an Ed25519 public key is 32 bytes, got 31")) {
            try SigningPublicKey(bytes: [UInt8](repeating: 1, count: 31))
        }
        #expect(throws: CryptoError.self) { try SigningKeyPair(seed: .random(count: 16)) }
        #expect(throws: CryptoError.self) { try SignatureContext("header") }
        #expect(throws: CryptoError.self) { try SignatureContext("isr/v1/a\u{0}b") }
    }

    @Test func fingerprintIsStableAndGrouped() throws {
        let key = try SigningPublicKey(bytes: rfcPublic)
        #expect(key.fingerprint == Hex.encode(SHA256.hash(rfcPublic).prefix(16)).chunked4())
        #expect(key.fingerprint.split(separator: ":").count == 8)
    }
}

extension String {
    func chunked4() -> String {
        var parts: [String] = []
        var rest = Substring(self)
        while !rest.isEmpty { parts.append(String(rest.prefix(4))); rest = rest.dropFirst(4) }
        return parts.joined(separator: ":")
    }
}
