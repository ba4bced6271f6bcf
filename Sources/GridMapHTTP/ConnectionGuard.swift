#if canImport(Glibc)
import Glibc
#endif
import GridMapNetwork
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 channel with gridmap's connection hygiene in front of it (see
/// `ConnectionGuard`). The pipeline is Hummingbird's `HTTP1Channel`'s with the guard's two
/// handlers around NIO's HTTP/1 codec: one sees raw bytes (a request has begun before its head
/// is whole), the other whole requests and responses (it has ended; is it keep-alive?).
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
    let responder: HTTPChannelHandler.Responder
    let configuration: ConnectionGuard.Configuration

    static func builder(_ configuration: ConnectionGuard.Configuration) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in GuardedHTTP1Channel(responder: responder, configuration: configuration) }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let state = ConnectionGuard(configuration)
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(ConnectionGuard.BytesHandler(state))
            try sync.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: .init())
            try sync.addHandler(ConnectionGuard.MessageHandler(state))
            try sync.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            // Kept for graceful shutdown: it closes a connection once its response is written.
            try sync.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel,
                                       configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async { await handleHTTP(asyncChannel: value, logger: logger) }
}

/// One HTTP connection's life, as RESP's connections are kept: counted against the process's
/// connection limit (where, full, the oldest connection that has not yet been served an
/// authenticated request makes room), a request that does not arrive whole within
/// `requestTimeout` of its first byte answered 408 and closed, a connection idle for
/// `keepAliveTimeout` closed, one that reads none of its answers for that long closed, and
/// HTTP/1.0 without keep-alive (or a response saying `Connection: close`) closed after its
/// response.
///
/// The state is an enum with explicit transitions, as in NIO's `HTTPServerPipelineHandler`:
///
///     idle ──bytes──▶ receiving ──request end──▶ responding ──response end──▶ idle
///       │                 │                          └──(close after it)──▶ closed
///       └─keep-alive─┐    └──request timeout (408)──▶ closed
///                    ▼
///                  closed
///
/// Both handlers run on the connection's event loop, so the state they share needs no lock.
final class ConnectionGuard {
    struct Configuration: Sendable {
        let requestTimeout: TimeAmount
        let keepAliveTimeout: TimeAmount
        /// Every client may use the API without credentials: a served request (not an error)
        /// proves a client.
        let openAccess: Bool
        let registry: ConnectionRegistry
        let metrics: HTTPMetrics
        let logger: Logger
    }

    enum State: Equatable {
        case fresh
        case idle
        case receiving
        case responding
        case closed
    }

    let configuration: Configuration
    private(set) var state = State.fresh
    private var timer: Scheduled<Void>?
    /// Armed while the client reads none of what it is sent (the channel unwritable).
    private var stall: Scheduled<Void>?
    /// Requests whose head was read, whose end was read, and that were answered in full; per
    /// request read and not yet answered (pipelining), does it keep the connection open and was
    /// it HTTP/1.0.
    private var started = 0, ended = 0, answered = 0
    private var requests: [(keepAlive: Bool, http10: Bool)] = []
    private var closeAfterResponse = false
    private var responseStarted = false
    private var proven = false
    private var admitted = false
    private var channel: (any Channel)?
    /// The context of the handler nearest the socket: a raw 408 or 503 is written from it.
    private var bytesContext: ChannelHandlerContext?

    init(_ configuration: Configuration) { self.configuration = configuration }

    // MARK: Transitions

    func activate(_ context: ChannelHandlerContext) {
        guard state == .fresh else { return }
        channel = context.channel
        bytesContext = context
        guard configuration.registry.admit(context.channel, authenticated: false) else {
            state = .closed
            writeRaw(.tooManyConnections, "the server has as many connections as it takes; try again later")
            return
        }
        admitted = true
        configuration.metrics.openConnections.add(1, ordering: .relaxed)
        enterIdle()
    }

    func deactivate() {
        cancelTimer()
        stall?.cancel()
        stall = nil
        state = .closed
        if admitted {
            admitted = false
            configuration.metrics.openConnections.subtract(1, ordering: .relaxed)
            if let channel { configuration.registry.remove(channel) }
        }
        bytesContext = nil
    }

    func bytesArrived() {
        guard state == .idle else { return }
        state = .receiving
        arm(configuration.requestTimeout)
    }

    func requestHead(_ head: HTTPRequestHead) {
        started += 1
        requests.append((head.isKeepAlive, head.version.major == 1 && head.version.minor == 0))
        settle()
    }

    func requestEnd() {
        ended += 1
        settle()
    }

    /// Decides, as a response starts, whether the connection closes after it, and says so.
    func responseHead(_ head: inout HTTPResponseHead) {
        responseStarted = true
        let request = requests.first ?? (keepAlive: false, http10: false)
        // Its request has not arrived whole (a refusal before the body): the rest of the body
        // would be read as the next request, so the connection closes after the answer.
        let answeredEarly = ended <= answered
        if !request.keepAlive || answeredEarly || head.headers["connection"].contains(where: { $0 == "close" }) {
            closeAfterResponse = true
            head.headers.replaceOrAdd(name: "connection", value: "close")
        } else if request.http10 {
            head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }
        // Where the API needs no credentials, a served request proves a client; otherwise
        // only credentials the access check granted do (`AccessMiddleware`), never a header.
        if !proven, configuration.openAccess, head.status.code < 400, let channel {
            proven = true
            configuration.registry.authenticated(channel)
        }
    }

    /// A response is written whole: close, or wait for the next request.
    func responseEnd(_ context: ChannelHandlerContext) -> Bool {
        responseStarted = false
        answered += 1
        if !requests.isEmpty { requests.removeFirst() }
        if closeAfterResponse {
            state = .closed
            cancelTimer()
            return true
        }
        settle()
        return false
    }

    /// The state the counts say: a request still arriving (its timeout running), requests
    /// read and not yet answered (no timeout: the server is working), or idle (keep-alive).
    private func settle() {
        guard state != .closed, state != .fresh else { return }
        if started > ended {
            guard state != .receiving else { return }
            state = .receiving
            arm(configuration.requestTimeout)
        } else if answered < ended {
            state = .responding
            cancelTimer()
        } else if state != .idle {
            enterIdle()
        }
    }

    /// A client that reads nothing of its answers for the keep-alive timeout is closed: it
    /// would hold its connection, and the answers waiting for it, for ever.
    func writability(_ writable: Bool) {
        stall?.cancel()
        stall = nil
        guard !writable, let context = bytesContext else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        stall = context.eventLoop.scheduleTask(in: configuration.keepAliveTimeout) {
            bound.value.stall = nil
            bound.value.state = .closed
            // Reset, not closed: a close would queue its FIN behind the answers the client is not
            // reading, and the kernel would keep them (and the connection) for minutes.
            guard let channel = bound.value.channel else { return }
            guard let socket = channel as? any SocketOptionProvider else { return channel.close(promise: nil) }
            socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    // MARK: Timers

    private func enterIdle() {
        state = .idle
        arm(configuration.keepAliveTimeout)
    }

    private func arm(_ timeout: TimeAmount) {
        cancelTimer()
        guard let context = bytesContext else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) { bound.value.expired() }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func expired() {
        timer = nil
        switch state {
        case .receiving where !responseStarted:
            state = .closed
            writeRaw(.requestTimeout,
                     "the request did not arrive whole within \(configuration.requestTimeout.seconds) s")
        case .idle, .receiving:
            state = .closed
            channel?.close(promise: nil)
        case .fresh, .responding, .closed:
            break
        }
    }

    /// A whole response written past the HTTP encoder, then the connection closed: for a
    /// connection refused at the limit or timed out, which have no request to answer.
    private func writeRaw(_ code: HTTPRefusal.Code, _ message: String) {
        guard let context = bytesContext else { return }
        let body = #"{"error":{"code":"\#(code.rawValue)","message":"\#(message)"}}"#
        let text = "HTTP/1.1 \(code.status.code) \(code.status.reasonPhrase)\r\n"
            + "content-type: application/json; charset=utf-8\r\n"
            + "content-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n" + body
        let channel = context.channel
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: text))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    // MARK: Handlers

    /// Nearest the socket: notices the first byte of a request, and owns the connection count.
    final class BytesHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let state: ConnectionGuard

        init(_ state: ConnectionGuard) { self.state = state }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { state.activate(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            state.activate(context)
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.deactivate()
            context.fireChannelInactive()
        }

        /// Within a request line that began while no request was under way: its non-ASCII
        /// bytes are percent-encoded before the HTTP parser sees them.
        private var inRequestLine = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard state.state != .closed else { return }
            if state.state == .idle || state.state == .fresh { inRequestLine = true }
            state.bytesArrived()
            guard inRequestLine else { return context.fireChannelRead(data) }
            var bytes = unwrapInboundIn(data)
            let (line, ended) = Self.requestLine(bytes)
            if ended { inRequestLine = false }
            if let encoded = Self.percentEncodingHighBytes(bytes, upTo: line, allocator: context.channel.allocator) {
                bytes = encoded
            }
            context.fireChannelRead(wrapInboundOut(bytes))
        }

        /// How many of `bytes` belong to the request line (up to its LF), and whether it ended.
        static func requestLine(_ bytes: ByteBuffer) -> (length: Int, ended: Bool) {
            bytes.withUnsafeReadableBytes { raw in
                if let lf = raw.firstIndex(of: UInt8(ascii: "\n")) { return (lf, true) }
                return (raw.count, false)
            }
        }

        /// People type Chinese into a URL and clients send it as raw UTF-8 (`?q=柳州市…`), which
        /// HTTP's grammar does not allow and the parser refuses with a bare 400. Percent-encoded
        /// here, the query reads as the UTF-8 it was; bytes that are not UTF-8 are refused by
        /// `QueryEncodingMiddleware` naming the parameter. Nil when there is nothing to encode.
        /// (Only a request line that starts a read while the connection is idle is looked at: a
        /// pipelined one behind another keeps the parser's refusal.)
        static func percentEncodingHighBytes(_ bytes: ByteBuffer, upTo line: Int,
                                             allocator: ByteBufferAllocator) -> ByteBuffer? {
            bytes.withUnsafeReadableBytes { raw -> ByteBuffer? in
                guard raw[..<line].contains(where: { $0 >= 0x80 }) else { return nil }
                var out = allocator.buffer(capacity: raw.count + 64)
                let hex = Array("0123456789ABCDEF".utf8)
                for b in raw[..<line] {
                    if b >= 0x80 {
                        out.writeBytes([UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]])
                    } else {
                        out.writeInteger(b)
                    }
                }
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[line...]))
                return out
            }
        }

        func channelWritabilityChanged(context: ChannelHandlerContext) {
            state.writability(context.channel.isWritable)
            context.fireChannelWritabilityChanged()
        }
    }

    /// Between NIO's HTTP/1 codec and Hummingbird's: sees whole request and response parts.
    final class MessageHandler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart
        let state: ConnectionGuard

        init(_ state: ConnectionGuard) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): state.requestHead(head)
            case .body: break
            case .end: state.requestEnd()
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            switch unwrapOutboundIn(data) {
            case .head(var head):
                state.responseHead(&head)
                context.write(wrapOutboundOut(.head(head)), promise: promise)
            case .body:
                context.write(data, promise: promise)
            case .end:
                guard state.responseEnd(context) else { return context.write(data, promise: promise) }
                let channel = context.channel
                context.writeAndFlush(data).whenComplete { result in
                    promise?.completeWith(result)
                    channel.close(promise: nil)
                }
            }
        }
    }
}

extension TimeAmount {
    var seconds: Int64 { nanoseconds / 1_000_000_000 }
}
