import ArgumentParser
import Foundation
import GridMapCore
import GridMapHTTP
import GridMapNetwork
import GridMapRESP
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import GridMapStores
import GridMapPlanning

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the map over RESP (Redis's protocol): any Redis client, redis-cli or nc can ask it.",
        discussion: """
            Passwords can also come from the environment (GRIDMAP_REQUIREPASS, GRIDMAP_PLANNER_PASS), \
            which keeps them out of the process list. SIGINT/SIGTERM stop it gracefully.
            """)

    @Option(help: "Address to bind (loopback unless told otherwise).") var host = ServerConfig().host
    @Option(help: "TCP port.") var port = ServerConfig().port
    @Option(help: "Password of the 'default' (reader) user; without it lookups need no AUTH.") var requirepass: String?
    @Option(
        name: .customLong("planner-pass"),
        help: "Password of the 'planner' user, for write commands (ROLLBACK, RELOAD, planning).") var plannerPass:
        String?
    @Option(help: "Most clients connected at once, RESP and HTTP together.")
    var maxConnections = ServerConfig().maxConnections
    @Option(help: "Seconds of silence before a connection is closed (0: never).")
    var idleTimeout: Int64 = ServerConfig().idleTimeout
    @Option(help: "Seconds a request may take to arrive whole.") var frameTimeout: Int64 = ServerConfig().frameTimeout
    @Option(help: "Seconds a client has to authenticate when a password is set.") var authTimeout: Int64 =
        ServerConfig().authTimeout
    // One core is left to the kernel's network work and local clients: on 2 cores, two event
    // loops took LOCATE's p99 from 1.3 ms to 4.5 ms under redis-benchmark (tools/loadbench.py).
    @Option(help: "Event-loop threads (default: one per core but one).") var threads = max(1, System.coreCount - 1)
    @Option(help: "Largest request, bytes.") var maxRequestBytes = RESPLimits().maxRequestBytes
    @Option(help: "Most elements in a request array.") var maxArrayLength = RESPLimits().maxArrayLength
    @Option(help: "Earlier versions kept built for ASOF queries.") var asofCache = MapService.defaultAsOfCapacity
    @Option(help: "HTTP port: the map page, /api, /healthz, /readyz, /metrics (0: no HTTP).")
    var httpPort = HTTPConfig().port
    @Option(help: "Address HTTP binds (loopback unless told otherwise).") var httpHost = HTTPConfig().host
    @Option(help: "An intranet tile server for the page's base map, e.g. https://tiles.lan/{z}/{x}/{y}.png.")
    var tiles: String?
    @Option(name: .customLong("allowed-origin"), help: ArgumentHelp(
        "An origin (scheme://host[:port]) besides the server's own whose pages may send planning requests.",
        valueName: "origin")) var allowedOrigins: [String] = []
    @Option(name: .customLong("allowed-host"), help: ArgumentHelp(
        "A Host name served when no password is set, besides those of the listening address (a proxy's name).",
        valueName: "name")) var allowedHosts: [String] = []
    @Option(help: "Where Leaflet is (Debian's libjs-leaflet).") var leaflet = HTTPConfig().leafletDirectory
    @Option(help: "Seconds an HTTP request may take to arrive whole from its first byte.")
    var httpRequestTimeout: Int64 = HTTPConfig().requestTimeout
    @Option(help: "Seconds an idle HTTP keep-alive connection stays open.")
    var httpKeepaliveTimeout: Int64 = HTTPConfig().keepAliveTimeout
    @Flag(help: ArgumentHelp("Leave the measures' copy of the case log to the first statistics request, "
                             + "instead of filling it in the background at start and keeping it in step."))
    var noMeasuresWarmup = false
    @OptionGroup var options: DataOptions

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "gridmap")
        let env = ProcessInfo.processInfo.environment
        var config = ServerConfig()
        config.host = host
        config.port = port
        config.credentials = Credentials(readerPassword: requirepass ?? env["GRIDMAP_REQUIREPASS"],
                                         plannerPassword: plannerPass ?? env["GRIDMAP_PLANNER_PASS"])
        config.maxConnections = Self.connectionLimit(maxConnections, logger: logger)
        config.idleTimeout = idleTimeout
        guard frameTimeout >= 1, authTimeout >= 1, httpRequestTimeout >= 1, httpKeepaliveTimeout >= 1 else {
            throw ValidationError("--frame-timeout, --auth-timeout, --http-request-timeout and "
                                  + "--http-keepalive-timeout must be at least 1 s")
        }
        config.frameTimeout = frameTimeout
        config.authTimeout = authTimeout
        config.limits.maxRequestBytes = maxRequestBytes
        config.limits.maxArrayLength = maxArrayLength
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1…65535") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be 0…65535") }
        for origin in allowedOrigins where !origin.hasPrefix("http://") && !origin.hasPrefix("https://") {
            throw ValidationError("--allowed-origin '\(origin)' is not an origin like https://host[:port]")
        }
        let storeLocation = try options.storeLocation()
        // The case log, and the accounts in it, answer before the map is loaded.
        let desk = CaseDesk(location: storeLocation)
        config.credentials.accounts = desk
        try ListenCheck.ensureFree(host: host, port: port, protocol: "RESP", option: "--port")
        if httpPort > 0 {
            try ListenCheck.ensureFree(host: httpHost, port: httpPort, protocol: "HTTP", option: "--http-port")
        }
        // Opened now (building its version is what takes long, and happens while HTTP answers
        // /readyz "loading"): a store that cannot be opened stops the start before anything listens.
        // Handed to the loader's thread and never used here again: one owner at a time.
        nonisolated(unsafe) let store: any VersionedStore
        do { store = try Stores.open(storeLocation) } catch { throw Failure(error) }
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let stats = ServerStats()
        let served = ServedMap()
        // One limit for RESP's and HTTP's connections together.
        let registry = ConnectionRegistry(limit: config.maxConnections)
        // HTTP listens at once (/healthz answers, /readyz says "loading"); the map is loaded
        // beside it, off the cooperative pool, and RESP starts once it is in.
        let resp = LoadThenServe(served: served, load: { [asofCache] in
            let service = try MapService(store: store, asOfCapacity: asofCache, desk: desk)
            service.storeHealth.onChange { problem in
                if let problem {
                    logger.error("the store cannot be written; lookups go on from memory, /readyz says 503",
                                 metadata: ["store": "\(problem.file)", "reason": "\(problem.message)"])
                } else {
                    logger.notice("the store can be written again", metadata: ["store": "\(storeLocation)"])
                }
            }
            service.prepareGeocoding()
            return service
        }, serve: { [config] service in
            // The watcher follows the store beside the RESP server, for as long as it serves;
            // a graceful shutdown reaches both (each finishes its work in hand).
            let watcher = VersionWatcher(service: service)
            watcher.onChange { state in
                switch state {
                case .degraded(let reason): logger.warning("the watcher cannot follow the store: \(reason)")
                case .following, .idle, .starting, .stopping, .stopped: logger.debug("watcher: \(state)")
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watcher.run() }
                group.addTask {
                    try await RESPServer(service: service, config: config, logger: logger, group: loops, stats: stats,
                                         registry: registry).run()
                }
                try await group.waitForAll()
            }
        })
        // Tells subscribers what the case log gains, from this server or any other on the store.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: resp), .init(service: CaseFeedService(desk: desk)),
        ]
        if !noMeasuresWarmup { services.append(.init(service: MeasuresWarmup(desk: desk))) }
        if httpPort > 0 {
            var http = HTTPConfig()
            http.host = httpHost
            http.port = httpPort
            http.credentials = config.credentials
            http.tileURL = tiles
            http.allowedOrigins = allowedOrigins
            http.allowedHosts = allowedHosts
            http.leafletDirectory = leaflet
            http.requestTimeout = httpRequestTimeout
            http.keepAliveTimeout = httpKeepaliveTimeout
            http.registry = registry
            services.append(.init(service: GridMapHTTP.application(map: served, config: http, resp: stats,
                                                                   group: loops, logger: logger)))
        }
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await loops.shutdownGracefully()
    }
}

extension ServeCommand {
    /// Descriptors kept free of connections: the store's files, the event loops' own, logs.
    static let reservedDescriptors = 32

    /// `requested`, or fewer when the process may not open that many descriptors: at the
    /// limit the oldest unauthenticated connection makes room for a new one, which works only
    /// if accepting the new one does not fail for want of a descriptor first.
    static func connectionLimit(_ requested: Int, logger: Logger) -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
            return requested
        }
        let allowed = max(1, Int(limit.rlim_cur) - reservedDescriptors)
        guard requested > allowed else { return requested }
        logger.warning("""
            --max-connections \(requested) is more than the descriptor limit allows \
            (RLIMIT_NOFILE \(limit.rlim_cur)); taking \(allowed) connections at most
            """)
        return allowed
    }
}

/// Loads the map (seconds at 100×) on a thread of its own, publishes it to `served`, then
/// runs the RESP server on it.
struct LoadThenServe: Service {
    let served: ServedMap
    let load: @Sendable () throws -> MapService
    let serve: @Sendable (MapService) async throws -> Void

    func run() async throws {
        let service: MapService
        do {
            service = try await withCheckedThrowingContinuation { done in
                Thread { done.resume(with: Result { try load() }) }.start()
            }
        } catch { throw Failure(error) }
        served.set(service)
        try await serve(service)
    }
}
