import Testing
@testable import ISRStore

/// The bounded cache behind statement translations, shapes, column indexes and prepared statements.
@Suite struct TextCacheTests {
    @Test func keepsWhatItWorkedOutUntilFullThenStillReplacesWhatItHas() {
        let cache = TextCache<Int>(limit: 2)
        var made = 0
        #expect(cache.value(for: "a") { made += 1; return 1 } == 1)
        #expect(cache.value(for: "a") { made += 1; return 99 } == 1)
        #expect(made == 1)
        cache.remember(2, for: "b")
        #expect(cache.isFull)
        // Full: a new key is worked out each time and not kept; a kept one may still be replaced.
        #expect(cache.value(for: "c") { 3 } == 3)
        #expect(cache["c"] == nil)
        cache.remember(20, for: "b")
        #expect(cache["b"] == 20)
    }
}
