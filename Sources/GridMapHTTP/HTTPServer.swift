import Foundation
import GridMapCore
import GridMapServer
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// How the HTTP side listens, and who may use it (the same roles and passwords as RESP).
public struct HTTPConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The same users as RESP's `AUTH`: `reader`/`default` and `planner`, sent as HTTP Basic.
    public var access = ServerConfig()
    /// Leaflet, as Debian's libjs-leaflet installs it.
    public var leafletDirectory = "/usr/share/javascript/leaflet"
    /// An intranet tile server (`https://tiles.example/{z}/{x}/{y}.png`); none by default, so
    /// the page needs no internet.
    public var tileURL: String?
    /// No endpoint takes a body: a request announcing more than this is refused (413).
    public static let maxBodyBytes = 64 << 10

    public init() {}
}

/// The map being served, once it is loaded: HTTP listens from the start (so `/healthz`
/// answers and `/readyz` says "loading"), and lookups begin when the map is in.
public final class ServedMap: Sendable {
    private let service = Mutex<MapService?>(nil)

    public init(_ service: MapService? = nil) { self.service.withLock { $0 = service } }

    public func set(_ s: MapService) { service.withLock { $0 = s } }
    public var current: MapService? { service.withLock { $0 } }

    /// Runs an endpoint against the map: 503 while it loads; the request's and the engine's
    /// errors as JSON with their statuses (unknown ids and drafts 404, the rest 400).
    func answer(_ body: (MapService) async throws -> Response) async throws -> Response {
        guard let service = current else { return Reply.error(.serviceUnavailable, "the map is loading") }
        do {
            return try await body(service)
        } catch let e as RequestError {
            return Reply.error(e.status, e.message)
        } catch let e as UnknownID {
            return Reply.error(.notFound, e.description)
        } catch let e as PlanError where e.code == "unknown_draft" {
            return Reply.error(.notFound, e.description)
        } catch {
            return Reply.error(.badRequest, "\(error)")
        }
    }
}

/// The HTTP skin: the RESP commands as JSON endpoints, the layers as GeoJSON, the map page,
/// and the operator's endpoints. It parses, calls `GridMapCore`, and formats.
public enum GridMapHTTP {
    /// `group`: the event loops to serve on (`gridmap serve` shares RESP's, one per core but
    /// one: on 2 cores a second loop only fights the clients and the kernel for the CPU).
    public static func application(map: ServedMap, config: HTTPConfig, resp: ServerStats? = nil,
                                   group: (any EventLoopGroup)? = nil, logger: Logger) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        let metrics = HTTPMetrics.shared
        router.add(middleware: MeasuringMiddleware(metrics: metrics))
        router.add(middleware: AccessMiddleware(access: config.access))
        OperationsRoutes(map: map, metrics: metrics, resp: resp).add(to: router)
        APIRoutes(map: map).add(to: router)
        PlanRoutes(map: map).add(to: router)
        PageRoutes(config: config).add(to: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "gridmap"),
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

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(Array(value.serialized.utf8), status: status)
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": .string(message)], status: status)
    }
}

/// A request that cannot be answered, with the status that says why.
struct RequestError: Error {
    let status: HTTPResponse.Status
    let message: String
    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
    init(_ message: String) { self.init(.badRequest, message) }
}

/// Runs blocking engine work (GEOS overlays, a first geocode, an old version's build) on
/// NIO's thread pool, never on an event loop.
func offLoop<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
}
