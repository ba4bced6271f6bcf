#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore

/// When accepting fails for want of resources (file descriptors, memory), stops watching the
/// listening socket for a second (NIO's `AcceptBackoffHandler` only delays the next read,
/// while epoll keeps reporting the socket readable, and the loop spins), and logs why once
/// per pause. Both listeners (RESP's and HTTP's) carry one.
public final class AcceptPause: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = Any
    private let logger: Logger
    private let listener: String
    private var paused = false

    public init(logger: Logger, listener: String) {
        self.logger = logger
        self.listener = listener
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let io = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(io.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        guard !paused else { return }
        paused = true
        logger.error("cannot accept \(listener) connections, pausing for 1 s: \(error)")
        let channel = context.channel
        channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        // Runs on the server channel's own event loop, which NIOLoopBound checks.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .seconds(1)) {
            bound.value.paused = false
            channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            channel.read()
        }
    }
}
