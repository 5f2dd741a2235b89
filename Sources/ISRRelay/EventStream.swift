import Foundation
import Hummingbird
import ISRCrypto
import ISRRelayAPI
import ISRStore
import NIOCore
import ServiceLifecycle

/// `GET /v1/events`: a member's live events as server-sent events (`text/event-stream`). Each event's `id` is its audit
/// leaf, so a client reconnecting with `Last-Event-ID` resumes where it stopped. A stream lasts at most `lifetime` (the
/// client reconnects), sends a comment every `heartbeat` so idle proxies and clients keep it open, and ends at once if
/// the member or their device is revoked, or the relay shuts down.
enum EventStream {
    static let pollInterval = Duration.milliseconds(250)
    static let heartbeat = Duration.seconds(15)
    static let lifetime = Duration.seconds(600)

    static func response(_ service: RelayService, for member: Member, lastEventID: String?) async throws -> Response {
        let now = try await service.eventPosition()
        var start = now
        if let text = lastEventID {
            guard let last = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                throw RelayRefusal.badRequest("events.invalid-last-event-id", "Last-Event-ID is the id of the last event you received (a number)")
            }
            start = min(last &+ 1, now)
        }
        let from = start
        let body = ResponseBody { writer in
            let clock = ContinuousClock()
            let began = clock.now
            var lastWrite = began
            var next = from
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            // A graceful shutdown ends the stream (the client reconnects to another instance, or later).
            while !Task.isCancelled, !Task.isShuttingDownGracefully, clock.now - began < lifetime {
                guard try await stillActive(service, member) else { break }
                let size = try await service.eventPosition()
                if size > next {
                    var text = ""
                    for event in try await service.events(for: member, from: next, to: size) {
                        let data = String(decoding: (try? ISRJSON.encoder().encode(event)) ?? Data(), as: UTF8.self)
                        text += "id: \(event.id)\nevent: \(event.kind)\ndata: \(data)\n\n"
                    }
                    // An id-only block moves the client's Last-Event-ID past leaves that were not for this member.
                    text += "id: \(size - 1)\n\n"
                    try await writer.write(ByteBuffer(string: text))
                    next = size
                    lastWrite = clock.now
                } else if clock.now - lastWrite > heartbeat {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = clock.now
                }
                try await Task.sleep(for: pollInterval)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// The member and the device that opened the stream are still active.
    static func stillActive(_ service: RelayService, _ member: Member) async throws -> Bool {
        guard let current = try await service.store.member(member.id), current.status == .active else { return false }
        return current.activeKeys.contains { $0.signingKey == member.signingKey }
    }
}
