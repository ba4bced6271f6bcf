import GridMapCore
import GridMapNetwork
import NIOCore
import NIOPosix
import Synchronization
import GridMapPlanning

/// Sent down every connection's pipeline when the server shuts down.
struct DrainEvent: Sendable {}

/// A message for a subscribed connection, handed to its event loop.
struct PushEvent: Sendable {
    let value: RESPValue
}

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
    /// Reused for every request, so decoding allocates nothing; between turns it must not
    /// hold on to `input`'s bytes (appending to `input` would then copy them).
    private var request = RESPRequest()
    /// The size of the last turn's replies: the next output buffer starts that large.
    private var outputCapacity = 512
    private var admitted = false
    private var scheduled = false
    /// A request's work is running on the thread pool: read no further request until its
    /// reply is written, so replies keep the order of requests.
    private var waiting = false
    /// Requests read so far, and the deadline of the request now arriving (if any).
    private var requestsRead = 0
    private var frameDeadline: Scheduled<Void>?
    private var authenticated = true
    private let batch = 64

    init(session: Session, registry: ConnectionRegistry) {
        self.session = session
        self.registry = registry
    }

    func channelActive(context: ChannelHandlerContext) {
        let stats = session.stats
        stats.totalConnections.add(1, ordering: .relaxed)
        authenticated = session.role != .none
        session.client = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard registry.admit(context.channel, authenticated: authenticated) else {
            stats.rejectedConnections.add(1, ordering: .relaxed)
            let channel = context.channel
            var b = channel.allocator.buffer(capacity: 64)
            b.writeRESP(.error("ERR max number of clients reached"), protocol: 2)
            context.writeAndFlush(wrapOutboundOut(b)).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        admitted = true
        stats.connections.add(1, ordering: .relaxed)
        let channel = context.channel
        if !authenticated {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .seconds(session.config.authTimeout)) {
                let (handler, context) = bound.value
                guard !handler.authenticated, context.channel.isActive else { return }
                handler.reply(
                    context, .error("ERR authentication timeout: AUTH within \(handler.session.config.authTimeout) s"))
                handler.flush(context, thenClose: true)
            }
        }
        session.deliver = { value in
            channel.eventLoop.execute { channel.pipeline.fireUserInboundEventTriggered(PushEvent(value: value)) }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted {
            session.stats.connections.subtract(1, ordering: .relaxed)
            registry.remove(context.channel)
        }
        frameDeadline?.cancel()
        session.close()
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
        guard !waiting else { return }
        let channel = context.channel
        // The request lives in a local for the turn: passing a stored property to `execute`
        // would copy it (two reference counts) for every request.
        var request = RESPRequest()
        swap(&request, &self.request)
        session.beginTurn()
        let (done, pending) = runRequests(context, &request, limit: batch, draining: false)
        // Let go of the input's bytes before compacting it, or compacting would copy them.
        request.storage = ByteBuffer()
        swap(&request, &self.request)
        session.endTurn()
        if let i = input, i.readableBytes == 0 { input = nil } else { input?.discardReadBytes() }
        session.stats.merge(&session.localStats)
        if !authenticated && session.role != .none {
            authenticated = true
            registry.authenticated(channel)
        }
        watchPartialRequest(context)
        flush(context, thenClose: session.shouldClose)
        if let pending {
            runOffLoop(pending, context)
        } else if done == batch, !scheduled, channel.isWritable {
            // More may be waiting: let other connections on this loop run first.
            scheduled = true
            // Runs on this same event loop, which NIOLoopBound checks.
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (handler, context) = bound.value
                handler.scheduled = false
                handler.process(context)
            }
        }
    }

    /// `RequestLoop` on this connection's input, while the peer keeps up, at most `limit`.
    private func runRequests(_ context: ChannelHandlerContext, _ request: inout RESPRequest, limit: Int,
                             draining: Bool) -> (done: Int, pending: PendingWork?) {
        let channel = context.channel
        let outcome = RequestLoop.run(&input, &request, session: session, limit: limit, draining: draining,
                                      writable: { channel.isWritable }, reply: { reply(context, $0) })
        requestsRead += outcome.read
        return (outcome.done, outcome.pending)
    }

    /// Gives a request that has begun to arrive `frameTimeout` seconds to arrive whole; one
    /// that does not is answered with an error and its connection closed.
    private func watchPartialRequest(_ context: ChannelHandlerContext) {
        guard let pendingBytes = input?.readableBytes, pendingBytes > 0, !session.shouldClose else {
            frameDeadline?.cancel()
            frameDeadline = nil
            return
        }
        let started = requestsRead
        if frameDeadline != nil { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        frameDeadline = context.eventLoop.scheduleTask(in: .seconds(session.config.frameTimeout)) {
            let (handler, context) = bound.value
            handler.frameDeadline = nil
            guard context.channel.isActive else { return }
            guard !handler.waiting, handler.requestsRead == started, (handler.input?.readableBytes ?? 0) > 0 else {
                handler.watchPartialRequest(context)
                return
            }
            handler.input = nil
            handler.session.shouldClose = true
            handler.reply(
                context,
                .error("ERR Protocol error: a request stayed incomplete for \(handler.session.config.frameTimeout) s"))
            handler.flush(context, thenClose: true)
        }
    }

    /// Runs a request's work on the thread pool with reading paused, then writes its reply
    /// and goes on with the requests already read.
    private func runOffLoop(_ work: PendingWork, _ context: ChannelHandlerContext) {
        waiting = true
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        // The completion runs on this same event loop, which NIOLoopBound checks.
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let future: EventLoopFuture<RESPValue>
        if let handing = work.handing {
            // Started on the pool, answered by its callback (from any thread) when done.
            let promise = context.eventLoop.makePromise(of: RESPValue.self)
            NIOThreadPool.singleton.submit { state in
                guard case .active = state else {
                    return promise.fail(NIOThreadPoolError.ThreadPoolInactive())
                }
                handing { promise.succeed($0) }
            }
            future = promise.futureResult
        } else if let awaiting = work.awaiting {
            // A publish queued for the watcher: awaited by a task, no thread waiting for it, on
            // this connection's event loop, so that no thread of Swift's global pool is needed.
            let promise = context.eventLoop.makePromise(of: RESPValue.self)
            Task(executorPreference: EventLoopTaskExecutor(context.eventLoop)) { promise.succeed(await awaiting()) }
            future = promise.futureResult
        } else {
            future = NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) { work.run() }
        }
        future.whenComplete { result in
            let (handler, context) = bound.value
            handler.waiting = false
            let value: RESPValue
            switch result {
            case .success(let v): value = v
            case .failure(let e): value = .error("ERR the server could not run this request: \(e)")
            }
            handler.reply(context, value)
            handler.flush(context, thenClose: handler.session.shouldClose)
            guard context.channel.isActive, !handler.session.shouldClose else { return }
            context.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
            handler.process(context)
        }
    }

    /// Appends a reply; true when the output grew large enough to be flushed now.
    @discardableResult
    private func reply(_ context: ChannelHandlerContext, _ value: RESPValue) -> Bool {
        if output == nil { output = context.channel.allocator.buffer(capacity: outputCapacity) }
        output!.writeRESP(value, protocol: session.protocolVersion)
        guard output!.readableBytes > 64 << 10 else { return false }
        flush(context, thenClose: false)
        return true
    }

    private func flush(_ context: ChannelHandlerContext, thenClose: Bool) {
        let out = output ?? context.channel.allocator.buffer(capacity: 0)
        output = nil
        if out.readableBytes > 0 { outputCapacity = min(max(512, out.readableBytes), 64 << 10) }
        if thenClose {
            let channel = context.channel
            channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
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
        if let push = event as? PushEvent {
            guard !session.subscriptions.isEmpty else { return }
            reply(context, push.value)
            if !waiting { flush(context, thenClose: false) }
        } else if event is DrainEvent {
            // Answer the whole requests already read (while the client still reads its
            // replies), then close; take no new ones.
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            session.beginTurn()
            if !waiting { _ = runRequests(context, &request, limit: .max, draining: true) }
            request.storage = ByteBuffer()
            session.endTurn()
            session.shouldClose = true
            session.stats.merge(&session.localStats)
            flush(context, thenClose: true)
        } else if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
