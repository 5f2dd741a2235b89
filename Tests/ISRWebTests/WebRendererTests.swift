import Testing
@testable import ISRWeb

/// Page values in-process (the door itself — Host names, token, cookie, CSRF, headers, loopback only — is tested through the
/// real `isr ui` with curl and Chromium in ExecutableTests/BrowserJourneyTests).
@Suite struct WebRendererTests {
    @Test func absentValuesAreLeftOutOfTemplatesRatherThanPrintedAsNil() {
        let none: String? = nil
        let values = WebRenderer.present(["a": "x", "b": none as Any, "rows": [["c": none as Any, "d": 1]]]) as? [String: Any]
        #expect(values?["b"] == nil && values?["a"] as? String == "x")
        #expect((values?["rows"] as? [[String: Any]])?.first?["c"] == nil && (values?["rows"] as? [[String: Any]])?.first?["d"] as? Int == 1)
    }
}
