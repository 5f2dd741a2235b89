import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection that has not delivered its first complete request head within the limit of opening: a TLS
/// handshake that never finishes, or headers trickled a byte at a time (slowloris). The HTTP decoder passes a head on
/// only once it is whole, so partial headers never stop the clock. Later requests on the connection are bounded by the
/// idle timeout, and can only come from a client that presented a certificate of the deployment.
final class RequestHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let limit: TimeAmount
    private var deadline: Scheduled<Void>?

    init(limit: TimeAmount) {
        self.limit = limit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: limit) {
            RelayMetrics.connectionTimedOut()
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }
}
