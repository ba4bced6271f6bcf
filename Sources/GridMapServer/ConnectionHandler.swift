import GridMapCore
import NIOCore

/// Sent down every connection's pipeline when the server shuts down.
struct DrainEvent: Sendable {}

/// Decodes a connection's requests, runs them in order and writes their replies.
///
/// It decodes itself rather than through `ByteToMessageHandler` so it can stop between
/// requests: it runs requests only while the channel is writable, at most `batch` of them
/// per turn of the event loop, then yields. A client that does not read its replies (the
/// channel turns unwritable) is paused, and reading from it stops, so it holds at most the
/// write buffer's high-water mark plus one read of input, never an unbounded queue; a
/// client pipelining thousands of slow requests shares its event loop fairly with others.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let session: Session
    private let registry: ConnectionRegistry
    private var input: ByteBuffer?
    private var output: ByteBuffer?
    private var admitted = false
    private var scheduled = false
    private let batch = 64

    init(session: Session, registry: ConnectionRegistry) {
        self.session = session
        self.registry = registry
    }

    func channelActive(context: ChannelHandlerContext) {
        let stats = session.stats
        stats.totalConnections.add(1, ordering: .relaxed)
        if stats.connections.add(1, ordering: .relaxed).newValue > session.config.maxConnections {
            stats.connections.subtract(1, ordering: .relaxed)
            stats.rejectedConnections.add(1, ordering: .relaxed)
            var b = context.channel.allocator.buffer(capacity: 64)
            b.writeRESP(.error("ERR max number of clients reached"), protocol: 2)
            context.writeAndFlush(wrapOutboundOut(b)).whenComplete { _ in context.close(promise: nil) }
            return
        }
        admitted = true
        registry.add(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted {
            session.stats.connections.subtract(1, ordering: .relaxed)
            registry.remove(context.channel)
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted, !session.shouldClose else { return }
        var bytes = unwrapInboundIn(data)
        if input == nil { input = bytes } else { input!.writeBuffer(&bytes) }
        process(context)
    }

    /// Runs whole requests from `input` while the peer keeps up, up to `batch` per turn.
    private func process(_ context: ChannelHandlerContext) {
        var done = 0
        while !session.shouldClose, context.channel.isWritable, done < batch, input != nil {
            let request: [RESPValue]?
            do {
                request = try RESPRequestDecoder.parseFrame(&input!, limits: session.config.limits)
            } catch {
                protocolError(context, error)
                return
            }
            guard let request else { break }
            if request.isEmpty { continue }
            reply(context, CommandTable.execute(request, session))
            done += 1
        }
        if let i = input, i.readableBytes == 0 { input = nil } else { input?.discardReadBytes() }
        session.stats.merge(&session.localStats)
        flush(context, thenClose: session.shouldClose)
        if done == batch, !scheduled, context.channel.isWritable {
            // More may be waiting: let other connections on this loop run first.
            scheduled = true
            context.eventLoop.execute {
                self.scheduled = false
                self.process(context)
            }
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ value: RESPValue) {
        if output == nil { output = context.channel.allocator.buffer(capacity: 512) }
        output!.writeRESP(value, protocol: session.protocolVersion)
        if output!.readableBytes > 64 << 10 { flush(context, thenClose: false) }
    }

    private func flush(_ context: ChannelHandlerContext, thenClose: Bool) {
        let out = output ?? context.channel.allocator.buffer(capacity: 0)
        output = nil
        if thenClose {
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in context.close(promise: nil) }
        } else if out.readableBytes > 0 {
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        context.channel.setOption(ChannelOptions.autoRead, value: writable).whenFailure { _ in }
        if writable { process(context) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainEvent {
            // Answer the whole requests already read (while the client still reads its
            // replies), then close; take no new ones.
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            while !session.shouldClose, input != nil, context.channel.isWritable,
                  let request = try? RESPRequestDecoder.parseFrame(&input!, limits: session.config.limits) {
                if !request.isEmpty { reply(context, CommandTable.execute(request, session)) }
            }
            session.shouldClose = true
            session.stats.merge(&session.localStats)
            flush(context, thenClose: true)
        } else if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// A broken frame: say why, then close this connection only (the stream cannot be
    /// resynchronized after it).
    private func protocolError(_ context: ChannelHandlerContext, _ error: Error) {
        reply(context, .error("ERR \(error)"))
        session.shouldClose = true
        input = nil
        flush(context, thenClose: true)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

import Synchronization

/// The open connections, so shutdown can drain them.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ c: any Channel) { channels.withLock { $0[ObjectIdentifier(c)] = c } }
    func remove(_ c: any Channel) { channels.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(c)) } }
    var count: Int { channels.withLock { $0.count } }
    var all: [any Channel] { channels.withLock { Array($0.values) } }
}
