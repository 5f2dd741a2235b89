import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A status and body, as one exchange returned them.
public struct HTTPReply: Sendable {
    public let status: Int
    public let body: [UInt8]
}

/// One keep-alive mutual-TLS HTTP/1.1 connection carrying one request at a time: the load generator's client.
/// Built on SwiftNIO's HTTP codec rather than AsyncHTTPClient so the client's own cost (which shares the machine's
/// two cores with the relay) stays small and the same for the relay and the baseline.
public final class BenchConnection: Sendable {
    let channel: any Channel
    let host: String
    /// How long one request may wait for its answer.
    static let timeout = TimeAmount.seconds(60)

    init(channel: any Channel, host: String) {
        self.channel = channel
        self.host = host
    }

    /// Connects and completes the TLS handshake with one `GET /healthz` (so a refused certificate fails here, not on first use).
    public static func connect(host: String, port: Int, tls: NIOSSLContext, group: any EventLoopGroup) async throws -> BenchConnection {
        let serverName = host.first?.isLetter == true ? host : nil
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ssl = try NIOSSLClientHandler(context: tls, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandler(ssl)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ExchangeHandler())
                }
            }
            .connect(host: host, port: port).get()
        let connection = BenchConnection(channel: channel, host: host)
        do {
            // One request completes the handshake: a refused certificate fails here. Any HTTP answer will do.
            _ = try await connection.exchange(.GET, "/healthz")
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Sends one request and waits for the whole response.
    public func exchange(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil) async throws -> HTTPReply {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: host)
        if let contentType { head.headers.add(name: "Content-Type", value: contentType) }
        if method == .POST || method == .PUT || body != nil { head.headers.add(name: "Content-Length", value: String(body?.count ?? 0)) }
        let promise = channel.eventLoop.makePromise(of: HTTPReply.self)
        let request = Exchange(head: head, body: body.map { ByteBuffer(bytes: $0) }, promise: promise)
        // Bounded: no answer within the timeout fails the exchange and closes the connection.
        let channel = channel
        let timeout = channel.eventLoop.scheduleTask(in: Self.timeout) {
            promise.fail(BenchError("no answer within \(Self.timeout)"))
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timeout.cancel() }
        // A write that never reaches the handler (the connection already closed) fails the exchange too.
        channel.writeAndFlush(request).whenFailure { promise.fail($0) }
        return try await promise.futureResult.get()
    }

    public func close() async {
        try? await channel.close()
    }
}

/// A request and the promise its response completes.
struct Exchange: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer?
    let promise: EventLoopPromise<HTTPReply>
}

/// Writes an exchange's request and completes its promise with the response; fails it if the connection ends first.
final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<HTTPReply>?
    private var status = 0
    private var body: [UInt8] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.promise.fail(BenchError("one request at a time per connection"))
            promise?.fail(BenchError("one request at a time per connection"))
            return
        }
        pending = exchange.promise
        status = 0
        body.removeAll(keepingCapacity: true)
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let buffer = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            let reply = HTTPReply(status: status, body: body)
            let promise = pending
            pending = nil
            promise?.succeed(reply)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failPending(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failPending(BenchError("the connection closed"))
        context.fireChannelInactive()
    }

    private func failPending(_ error: any Error) {
        let promise = pending
        pending = nil
        promise?.fail(error)
    }
}

/// A benchmark failure, said in one line.
public struct BenchError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
