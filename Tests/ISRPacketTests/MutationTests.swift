import ISRCrypto
import Testing
@testable import ISRPacket

/// Deterministic random mutations (fixed seed, bounded count): no input crashes a parser, and no mutated
/// packet opens. Complements the exhaustive single-bit sweep in PacketRoundTripTests.
@Suite struct MutationTests {
    /// SplitMix64: a tiny seeded generator so every run tries the same inputs.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func mutate(_ bytes: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
        var out = bytes
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !out.isEmpty else { break }
            let at = Int.random(in: 0..<out.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: out[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: out.insert(UInt8.random(in: 0...255, using: &rng), at: at)
            case 2: out.remove(at: at)
            default: out.replaceSubrange(at..<min(out.count, at + 8), with: (0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
        }
        return out
    }

    @Test func mutatedPacketsNeverOpenAndNeverCrash() throws {
        let packet = try Samples.packet(.share, to: [Cast.bob.id, Cast.duty])
        var rng = SeededGenerator(state: 0x15A_2026)
        var refused = 0
        for _ in 0..<3000 {
            let mutated = Self.mutate(packet.bytes, using: &rng)
            guard mutated != packet.bytes else { continue }
            do {
                _ = try PacketOpener.open(mutated, as: Cast.bob.id, keys: Cast.bob.keys.encryption, senderKey: Cast.alice.keys.signing.publicKey)
                Issue.record("a mutated packet opened")
            } catch {
                refused += 1
            }
        }
        #expect(refused > 2900)
    }

    @Test func headerAndBodyParsersSurviveArbitraryBytes() throws {
        let header = try Samples.header(.share, fields: Samples.fields(.share)).derEncoded()
        let body = try Samples.body(.share).derEncoded()
        var rng = SeededGenerator(state: 42)
        for _ in 0..<3000 {
            if let parsed = try? PacketHeader(derEncoded: Self.mutate(header, using: &rng)) {
                // Anything that parses must satisfy every format rule and re-encode to canonical bytes.
                #expect(throws: Never.self) { try parsed.validate() }
            }
            if let parsed = try? PacketBody(derEncoded: Self.mutate(body, using: &rng)) {
                #expect(throws: Never.self) { try parsed.validate() }
            }
        }
        for length in [0, 1, 2, 7, 64, 4096] {
            let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(throws: PacketError.self) { try SealedPacket(encoded: noise) }
            #expect(throws: PacketError.self) { try PacketHeader(derEncoded: noise) }
            #expect(throws: PacketError.self) { try PacketBody(derEncoded: noise) }
        }
        // 60 nested SEQUENCEs are refused by swift-asn1's depth limit (50), not by exhausting the stack.
        var nested: [UInt8] = []
        for _ in 0..<60 { nested = [0x30, UInt8(nested.count)] + nested }
        let deep = #expect(throws: PacketError.self) { try SealedPacket(encoded: nested) }
        #expect(deep?.code == .malformed)
    }
}
