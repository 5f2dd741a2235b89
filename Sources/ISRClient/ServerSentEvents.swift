/// A parser for `text/event-stream` (the WHATWG server-sent events format): bytes in, whole events out, with the
/// last event id kept for reconnecting. Lines over `maximumLineBytes` are refused rather than buffered without limit.
public struct ServerSentEvents: Sendable {
    public struct Event: Sendable, Equatable {
        public let id: String?
        public let name: String
        public let data: String
    }

    public static let maximumLineBytes = 64 * 1024

    /// The id of the last block that carried one (an id-only block moves it too): what `Last-Event-ID` sends back.
    public private(set) var lastEventID: String?
    private var line: [UInt8] = []
    private var name = ""
    private var data: [String] = []
    private var id: String?

    public init(lastEventID: String? = nil) { self.lastEventID = lastEventID }

    /// Feeds bytes; returns the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(ClientError) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if byte == 0x0a {
                if let event = take(String(decoding: line.last == 0x0d ? line.dropLast() : line[...], as: UTF8.self)) { events.append(event) }
                line.removeAll(keepingCapacity: true)
            } else {
                guard line.count < Self.maximumLineBytes else { throw ClientError(.refused, "the relay's event stream sent a line over 64 KiB") }
                line.append(byte)
            }
        }
        return events
    }

    private mutating func take(_ text: String) -> Event? {
        if text.isEmpty {
            defer { (name, data, id) = ("", [], nil) }
            if let id { lastEventID = id }
            guard !data.isEmpty else { return nil }
            return Event(id: id ?? lastEventID, name: name.isEmpty ? "message" : name, data: data.joined(separator: "\n"))
        }
        if text.hasPrefix(":") { return nil }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let field = String(parts[0])
        var value = parts.count > 1 ? String(parts[1]) : ""
        if value.hasPrefix(" ") { value.removeFirst() }
        switch field {
        case "event": name = value
        case "data": data.append(value)
        case "id" where !value.contains("\0"): id = value
        default: break
        }
        return nil
    }
}
