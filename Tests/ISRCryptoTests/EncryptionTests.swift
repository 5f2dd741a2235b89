import Testing
@testable import ISRCrypto

@Suite struct EncryptionTests {
    @Test func x25519SecretDerivesTheRFC7748PublicKey() throws {
        var secret = [UInt8](hex: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let pair = try EncryptionKeyPair(secretKey: SecretBytes(consuming: &secret))
        #expect(pair.publicKey.bytes == [UInt8](hex: "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
    }

    @Test func sealedKeyOpensOnlyForItsRecipient() throws {
        let alice = EncryptionKeyPair.generate()
        let bob = EncryptionKeyPair.generate()
        let key = ContentKey.generate()
        let sealed = alice.publicKey.seal(key.secret)
        #expect(sealed.count == 32 + 48)
        #expect(try alice.open(sealed).constantTimeEquals(key.secret))
        #expect(throws: CryptoError.self) { try bob.open(sealed) }
        for index in [0, 31, 40, 79] {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(throws: CryptoError.self) { try alice.open(altered) }
        }
        #expect(throws: CryptoError.self) { try alice.open([UInt8](repeating: 0, count: 47)) }
    }

    @Test func bodyCipherAuthenticatesCiphertextAndAssociatedData() throws {
        let key = ContentKey.generate()
        let header: [UInt8] = Array("header".utf8)
        let box = key.encrypt(Array("the body".utf8), associatedData: header)
        #expect(box.count == 24 + 8 + 16)
        #expect(try key.decrypt(box, associatedData: header) == Array("the body".utf8))
        #expect(throws: CryptoError.self) { try key.decrypt(box, associatedData: Array("Header".utf8)) }
        for index in [0, 23, 24, box.count - 1] {
            var altered = box
            altered[index] ^= 0x20
            #expect(throws: CryptoError.self) { try key.decrypt(altered, associatedData: header) }
        }
        #expect(throws: CryptoError.self) { try key.decrypt(Array(box.prefix(39)), associatedData: header) }
        #expect(throws: CryptoError.self) { try ContentKey.generate().decrypt(box, associatedData: header) }
        let other = key.encrypt(Array("the body".utf8), associatedData: header)
        #expect(other != box, "a fresh nonce each time")
    }

    @Test func emptyPlaintextRoundTrips() throws {
        let key = ContentKey.generate()
        let box = key.encrypt([UInt8](), associatedData: [UInt8]())
        #expect(try key.decrypt(box, associatedData: [UInt8]()) == [])
    }

    @Test func constantTimeEqualityAndDigest() {
        #expect(ConstantTime.equal([UInt8]([1, 2, 3]), [UInt8]([1, 2, 3])))
        #expect(!ConstantTime.equal([UInt8]([1, 2, 3]), [UInt8]([1, 2, 4])))
        #expect(!ConstantTime.equal([UInt8]([1, 2]), [UInt8]([1, 2, 3])))
        #expect(ConstantTime.equal([UInt8](), [UInt8]()))
        // FIPS 180-2 "abc".
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

@Suite struct HexTests {
    @Test func roundTripsAndRefusesBadInput() {
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(Hex.decode("000FA5ff") == [0x00, 0x0f, 0xa5, 0xff])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("") == [])
    }
}
