import Foundation
import GridMapCore
import GridMapNetwork
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import GridMapPlanning

/// How the HTTP side listens, and who may use it (the same roles and passwords as RESP).
public struct HTTPConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The same users as RESP's `AUTH`: `reader`/`default` and `planner`, sent as HTTP Basic.
    public var credentials = Credentials()
    /// Leaflet, as Debian's libjs-leaflet installs it.
    public var leafletDirectory = "/usr/share/javascript/leaflet"
    /// An intranet tile server (`https://tiles.example/{z}/{x}/{y}.png`); none by default, so
    /// the page needs no internet.
    public var tileURL: String?
    /// Seconds a request may take to arrive whole (head and body) from its first byte: a client
    /// trickling bytes keeps a connection busy, not open for ever.
    public var requestTimeout: Int64 = 10
    /// Seconds an idle keep-alive connection (or one that never sends a byte) stays open.
    public var keepAliveTimeout: Int64 = 60
    /// Every connection of the process, RESP's too, against one limit; nil makes one of this
    /// configuration's own, of `ConnectionRegistry.defaultLimit`.
    public var registry: ConnectionRegistry?
    /// Origins besides the server's own whose pages may send state-changing requests
    /// (`--allowed-origin`, `scheme://host[:port]`): a page of another host that embeds the planner's tools.
    public var allowedOrigins: [String] = []
    /// Host names served besides those of the listening address when no password guards the
    /// server (`--allowed-host`): the name a reverse proxy or a DNS entry gives it.
    public var allowedHosts: [String] = []
    /// The largest body an endpoint takes (POST /api/area): more is refused with 413, before
    /// it is read, whether announced by Content-Length or sent chunked.
    public static let maxBodyBytes = 64 << 10
    /// The largest body a planning endpoint takes (`/api/plan/…`, planner role): a whole grids
    /// layer edited in QGIS (Yufeng's is about 1 MB), as RESP's default request limit allows.
    public static let maxPlanningBodyBytes = 4 << 20

    public init() {}
}

/// The map being served, once it is loaded: HTTP listens from the start (so `/healthz`
/// answers and `/readyz` says "loading"), and lookups begin when the map is in.
public final class ServedMap: Sendable {
    private let service = Mutex<MapService?>(nil)

    public init(_ service: MapService? = nil) { self.service.withLock { $0 = service } }

    public func set(_ s: MapService) { service.withLock { $0 = s } }
    public var current: MapService? { service.withLock { $0 } }

    /// Runs an endpoint against the map (503 while it loads); any error it throws becomes its
    /// reply in `Reply.failure`, the one place errors are mapped.
    func answer(_ context: GridMapRequestContext, _ body: (MapService) async throws -> Response) async throws
        -> Response
    {
        guard let service = current else {
            return HTTPRefusal(.loading, "the map is loading").response
        }
        do { return try await body(service) } catch { return Reply.failure(error, context) }
    }
}

/// The HTTP skin: the RESP commands as JSON endpoints, the layers as GeoJSON, the map page,
/// and the operator's endpoints. It parses, calls `GridMapCore`, and formats.
public enum GridMapHTTP {
    /// `group`: the event loops to serve on (`gridmap serve` shares RESP's, one per core but
    /// one: on 2 cores a second loop only fights the clients and the kernel for the CPU).
    /// `onListening` is told the port once the server listens (port 0 picks a free one).
    public static func application(map: ServedMap, config: HTTPConfig, resp: (any ProtocolStats)? = nil,
                                   group: (any EventLoopGroup)? = nil, logger: Logger,
                                   onListening: (@Sendable (Int) -> Void)? = nil) -> some ApplicationProtocol {
        // HEAD answers as GET does, without the body (orchestrators probe with it).
        let router = Router(context: GridMapRequestContext.self, options: .autoGenerateHeadEndpoints)
        let metrics = HTTPMetrics.shared
        let registry = config.registry ?? ConnectionRegistry(limit: ConnectionRegistry.defaultLimit)
        router.add(middleware: MeasuringMiddleware(metrics: metrics))
        router.add(middleware: SecurityHeadersMiddleware(tileURL: config.tileURL))
        router.add(middleware: CrossSiteMiddleware(policy: SitePolicy(
            bindAddress: config.host, open: config.credentials.initialRole >= .reader,
            allowedHosts: config.allowedHosts, allowedOrigins: config.allowedOrigins)))
        router.add(middleware: AccessMiddleware(credentials: config.credentials, registry: registry))
        router.add(middleware: BodyTypeMiddleware())
        router.add(middleware: QueryEncodingMiddleware())
        OperationsRoutes(map: map, metrics: metrics, resp: resp).add(to: router)
        APIRoutes(map: map).add(to: router)
        PlanRoutes(map: map).add(to: router)
        CaseRoutes(map: map).add(to: router)
        Open311Routes(map: map, credentials: config.credentials).add(to: router)
        PageRoutes(config: config, logger: logger).add(to: router)
        let guardConfig = ConnectionGuard.Configuration(
            requestTimeout: .seconds(config.requestTimeout), keepAliveTimeout: .seconds(config.keepAliveTimeout),
            openAccess: config.credentials.initialRole >= .reader, registry: registry, metrics: metrics, logger: logger)
        // Routing sees the canonical path only (see `CanonicalPath`): the path that access is
        // decided on is the path that is routed.
        return Application(
            responder: CanonicalPathResponder(next: router.buildResponder()),
            server: GuardedHTTP1Channel.builder(guardConfig),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "gridmap"),
            onServerRunning: { channel in
                // The listening socket: out of descriptors, pause accepting instead of spinning.
                // Added on the channel's own loop: the handler is not Sendable, and need not be.
                try? await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.addHandler(AcceptPause(logger: logger, listener: "HTTP"),
                                                                   position: .first)
                }.get()
                if let port = channel.localAddress?.port { onListening?(port) }
            },
            eventLoopGroupProvider: group.map { .shared($0) } ?? .singleton,
            logger: logger)
    }
}

/// A JSON reply (bytes the engine made) or a JSON error with its status.
enum Reply {
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A spreadsheet's file (the measures as CSV), offered for saving.
    static func csv(_ bytes: [UInt8], name: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                        .contentDisposition: "attachment; filename=\"\(name)\""],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(Array(value.serialized.utf8), status: status)
    }

    /// `{"error": {"code": …, "message": …}}` with `status`.
    static func error(_ status: HTTPResponse.Status, code: String, _ message: String, ids: [String] = [])
        -> Response
    {
        var body: JSONObject = ["code": .string(code), "message": .string(message)]
        // The grids a planning refusal is about (a conflict's, a validation's): the page marks them.
        if !ids.isEmpty { body["ids"] = .array(ids.map { .string($0) }) }
        return json(["error": .object(body)], status: status)
    }

    /// The reply for any error an endpoint throws: the one place HTTP maps errors. An error
    /// that knows its kind gets that kind's status; an HTTP-level refusal its own; anything
    /// else is the server's fault: 500, logged, and never blamed on the client. A store error's
    /// message names no file for a client below the planner role.
    static func failure(_ error: any Error, _ context: GridMapRequestContext) -> Response {
        if let e = error as? HTTPRefusal { return e.response }
        if error is NIOTooManyBytesError {
            return HTTPRefusal.tooLarge.response
        }
        // A body that ends early or breaks HTTP (the client closed, or was closed, mid-body) is
        // the client's doing: no log line, or an abuser could write one per request.
        if let e = error as? HTTPParserError {
            return HTTPRefusal(.badHTTP, "the request could not be read: \(e.debugDescription)",
                               headers: [.connection: "close"]).response
        }
        if error is ChannelError {
            return HTTPRefusal(.connectionClosed, "the connection closed before the request was read",
                               headers: [.connection: "close"]).response
        }
        if error.errorKind == .internal {
            context.logger.error("internal error", metadata: ["path": "\(context.path)", "error": "\(error)"])
        }
        return Reply.error(error.errorKind.status, code: error.errorCode,
                           error.clientMessage(planner: context.role >= .planner),
                           ids: (error as? PlanError)?.ids ?? [])
    }
}

extension ErrorKind {
    /// The HTTP status of each kind of error.
    var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .forbidden: .forbidden
        case .unavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }
}

/// A request the HTTP skin itself refuses, with the status that says why (the engine's
/// errors carry a kind instead).
struct HTTPRefusal: Error {
    /// The HTTP skin's own refusals (the engine's come with their codes and kinds), each with
    /// its status stated beside it.
    enum Code: String, CaseIterable {
        case badEncoding = "bad_encoding", badHTTP = "bad_http", badPath = "bad_path", badRequest = "bad_request"
        case connectionClosed = "connection_closed", crossSite = "cross_site", forbidden, `internal`, loading
        case notFound = "not_found", requestTimeout = "request_timeout", throttled
        case tooLarge = "too_large", tooManyConnections = "too_many_connections", unauthorized
        case unknownHost = "unknown_host", unsupportedMediaType = "unsupported_media_type"

        var status: HTTPResponse.Status {
            switch self {
            case .badEncoding, .badHTTP, .badPath, .badRequest, .connectionClosed: .badRequest
            case .crossSite, .forbidden: .forbidden
            case .internal: .internalServerError
            case .loading, .tooManyConnections: .serviceUnavailable
            case .notFound: .notFound
            case .requestTimeout: .requestTimeout
            case .throttled: .tooManyRequests
            case .tooLarge: .contentTooLarge
            case .unauthorized: .unauthorized
            case .unknownHost: .misdirectedRequest
            case .unsupportedMediaType: .unsupportedMediaType
            }
        }
    }

    let code: Code
    let message: String
    var headers: HTTPFields = [:]

    init(_ code: Code, _ message: String, headers: HTTPFields = [:]) {
        (self.code, self.message, self.headers) = (code, message, headers)
    }

    var status: HTTPResponse.Status { code.status }

    var response: Response {
        var r = Reply.error(status, code: code.rawValue, message)
        for field in headers { r.headers.append(field) }
        return r
    }

    static let tooLarge = tooLarge(HTTPConfig.maxBodyBytes)

    static func tooLarge(_ limit: Int) -> HTTPRefusal {
        HTTPRefusal(.tooLarge, "the request body is too large: at most \(limit) bytes",
                    headers: [.connection: "close"])
    }
}

/// Runs blocking engine work (GEOS overlays, a first geocode, an old version's build) on
/// NIO's thread pool, never on an event loop.
func offLoop<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
}
