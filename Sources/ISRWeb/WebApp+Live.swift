import Foundation
import Hummingbird
import ISRClient
import ISRPolicy
import NIOCore

/// What the pages update from: the relay's event stream passed on to the browser (same origin, the session cookie),
/// and the identifier scan an anonymous consultation runs as it is typed — the policy's own scanner, not a copy in
/// JavaScript.
extension WebApp {
    /// `GET /events`: the member's relay events as server-sent events, from the app's one relay stream (`LiveHub`).
    func liveEvents() -> Response {
        let stream = hub.subscribe()
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 3000\n\n"))
            for await block in stream { try await writer.write(ByteBuffer(string: block)) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// `POST /scan`: the suspected identifiers in `text` (NHS numbers, postcodes, dates, phone numbers, e-mail addresses).
    func scan(_ form: WebForm) -> Response {
        struct Finding: Encodable { let kind: String; let text: String }
        let findings = form.values("text").flatMap { IdentifierScanner.scan($0) }.map { Finding(kind: $0.kind.rawValue, text: $0.text) }
        let data = (try? JSONEncoder().encode(findings)) ?? Data("[]".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
