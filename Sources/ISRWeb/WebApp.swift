import Foundation
import Hummingbird
import ISRClient
import ISRPacket
import Logging
import NIOCore

/// `isr ui`: the practitioners' web app, served by the `isr` process itself on 127.0.0.1 only, over the same unlocked
/// `Session` the CLI uses — sealing, verifying, the policy checks and the lifecycle are ISRClient's, never re-done in
/// the browser.
public struct WebApp: Sendable {
    public let session: Session
    public let port: Int
    public let secrets: WebSecrets
    let renderer: WebRenderer
    let hub = LiveHub()

    /// The URL to open: it carries this run's token, exchanged for a cookie on first use.
    public var url: String { "http://127.0.0.1:\(port)/?token=\(secrets.urlToken)" }

    /// A web app for `session` on `port` (0: a free one); `secrets` carries over the setup page's token and cookie.
    public static func make(session: Session, port: Int, secrets: WebSecrets? = nil) async throws -> WebApp {
        let chosen = port == 0 ? try freeLoopbackPort() : port
        let secrets = secrets ?? WebSecrets(port: chosen)
        let directory = try? await VerifiedDirectory.load(session.client, trust: session.trust)
        let role = directory?.members[session.me]?.role ?? ""
        let renderer = try await WebRenderer.load(csrf: secrets.csrf, member: session.me.rawValue, role: role)
        return WebApp(session: session, port: chosen, secrets: secrets, renderer: renderer)
    }

    /// Serves until the task is cancelled (Ctrl-C); `onListening` runs once the socket accepts connections.
    public func run(logger: Logger, onListening: @escaping @Sendable () -> Void) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "isr-ui"),
                              services: [LiveRelayService(hub: hub, client: session.client)],
                              onServerRunning: { _ in onListening() }, logger: logger)
        try await app.runService()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: WebGuard(secrets: secrets, port: port))
        router.get("/") { _, _ in Response.redirect(to: "/inbox", type: .found) }
        router.get("/static/:file") { _, context in try Self.staticFile(try context.parameters.require("file")) }
        router.get("/events") { _, _ in liveEvents() }
        // The setup page's address, after enrolment: the inbox.
        router.get("/setup") { _, _ in Response.redirect(to: "/inbox", type: .found) }
        router.get("/setup/status") { _, _ in Self.json(["state": "ready"]) }
        router.get("/inbox") { request, _ in await handle { try await inbox(note: request.uri.queryParameters.get("note")) } }
        router.get("/inbox/list") { _, _ in await handle { try await inboxList() } }
        router.get("/packets/:id") { request, context in
            await handle { try await packet(try packetID(context), note: request.uri.queryParameters.get("note")) }
        }
        router.post("/packets/:id/:action") { request, context in
            var request = request
            let form = try await WebForm(request: &request, context: context)
            return await handle { try await act(try packetID(context), action: try context.parameters.require("action"), form: form) }
        }
        router.get("/send") { request, _ in
            await handle { try await sendForm(purpose: request.uri.queryParameters.get("purpose"), replyTo: request.uri.queryParameters.get("reply")) }
        }
        router.post("/send") { request, context in
            var request = request
            let form = try await WebForm(request: &request, context: context)
            return await handle { try await send(form) }
        }
        router.post("/scan") { request, context in
            var request = request
            return scan(try await WebForm(request: &request, context: context))
        }
        router.get("/sent") { _, _ in await handle { try await sent() } }
        router.get("/notices") { _, _ in await handle { try await notices() } }
        router.get("/countersign") { request, _ in await handle { try await countersignList(note: request.uri.queryParameters.get("note")) } }
        router.get("/decisions") { request, _ in
            await handle { try await decisions(note: request.uri.queryParameters.get("note").flatMap { Self.notes[$0] }) }
        }
        router.post("/decisions") { request, context in
            var request = request
            let form = try await WebForm(request: &request, context: context)
            return await handle { try await recordDecision(form) }
        }
        router.get("/record") { request, _ in await handle { try await record(reference: request.uri.queryParameters.get("subject_ref")) } }
        router.post("/record/export") { request, context in
            var request = request
            let form = try await WebForm(request: &request, context: context)
            return await handle { try await exportRecord(form) }
        }
        router.get("/admin") { _, _ in await handle { try await admin() } }
        router.post("/admin/:action") { request, context in
            var request = request
            let form = try await WebForm(request: &request, context: context)
            return await handle { try await adminAction(try context.parameters.require("action"), form: form) }
        }
        return router
    }

    /// Runs a page; what ISR refuses becomes a page saying why and what to do.
    func handle(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as ClientError {
            let status: HTTPResponse.Status = error.code == .network ? .badGateway : (error.code == .verification ? .conflict : .unprocessableContent)
            return renderer.problem(error.message, status: status)
        } catch {
            return renderer.problem("\(error)", status: .internalServerError)
        }
    }

    func packetID(_ context: BasicRequestContext) throws -> PacketID {
        do { return try PacketID(hex: try context.parameters.require("id")) } catch { throw ClientError(.usage, "that is not a packet id") }
    }

    /// A small JSON answer for the pages' scripts.
    static func json(_ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static let staticTypes = ["app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"]

    static func staticFile(_ name: String) throws -> Response {
        guard let type = Self.staticTypes[name], let path = Bundle.module.resourcePath.map({ $0 + "/Static/" + name }),
              let data = FileManager.default.contents(atPath: path) else { return Response(status: .notFound) }
        return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A free TCP port on 127.0.0.1 (the kernel's choice).
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WebError("cannot open a socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw WebError("cannot bind 127.0.0.1") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
