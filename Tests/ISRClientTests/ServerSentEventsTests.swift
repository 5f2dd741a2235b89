import Testing
@testable import ISRClient

/// The event-stream parser: events split across reads, CRLF, comments, multi-line data, id-only blocks that move the
/// resume point, and an over-long line refused.
@Suite struct ServerSentEventsTests {
    @Test func eventsAreAssembledWhateverTheReadBoundaries() throws {
        let stream = "retry: 2000\n\n: keep-alive\n\nid: 7\nevent: new-packet\ndata: {\"a\":1}\n\nid: 9\n\r\nevent: x\r\ndata: one\r\ndata: two\r\n\r\n"
        var whole = ServerSentEvents()
        let all = try whole.feed(Array(stream.utf8))
        #expect(all == [.init(id: "7", name: "new-packet", data: "{\"a\":1}"), .init(id: "9", name: "x", data: "one\ntwo")])
        #expect(whole.lastEventID == "9")
        var bytewise = ServerSentEvents(lastEventID: "3")
        var events: [ServerSentEvents.Event] = []
        for byte in Array(stream.utf8) { events += try bytewise.feed([byte]) }
        #expect(events == all && bytewise.lastEventID == "9")
        var long = ServerSentEvents()
        #expect(throws: ClientError.self) { try long.feed(Array(repeating: UInt8(ascii: "a"), count: ServerSentEvents.maximumLineBytes + 1)) }
    }
}
