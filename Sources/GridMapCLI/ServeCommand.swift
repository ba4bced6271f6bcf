import ArgumentParser
import Foundation
import GridMapCore
import GridMapServer
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the map over RESP (Redis's protocol): any Redis client, redis-cli or nc can ask it.",
        discussion: """
            Passwords can also come from the environment (GRIDMAP_REQUIREPASS, GRIDMAP_PLANNER_PASS), \
            which keeps them out of the process list. SIGINT/SIGTERM stop it gracefully.
            """)

    @Option(help: "Address to bind (loopback unless told otherwise).") var host = "127.0.0.1"
    @Option(help: "TCP port.") var port = 6380
    @Option(help: "Password of the 'default' (reader) user; without it lookups need no AUTH.") var requirepass: String?
    @Option(
        name: .customLong("planner-pass"),
        help: "Password of the 'planner' user, for write commands (ROLLBACK, RELOAD, planning).") var plannerPass:
        String?
    @Option(help: "Most clients connected at once.") var maxConnections = 1024
    @Option(help: "Seconds of silence before a connection is closed (0: never).") var idleTimeout: Int64 = 300
    @Option(help: "Seconds a request may take to arrive whole.") var frameTimeout: Int64 = ServerConfig().frameTimeout
    @Option(help: "Seconds a client has to authenticate when a password is set.") var authTimeout: Int64 =
        ServerConfig().authTimeout
    // One core is left to the kernel's network work and local clients: on 2 cores, two event
    // loops took LOCATE's p99 from 1.3 ms to 4.5 ms under redis-benchmark (tools/loadbench.py).
    @Option(help: "Event-loop threads (default: one per core but one).") var threads = max(1, System.coreCount - 1)
    @Option(help: "Largest request, bytes.") var maxRequestBytes = 4 << 20
    @Option(help: "Most elements in a request array.") var maxArrayLength = 1024
    @Option(help: "Earlier versions kept built for ASOF queries.") var asofCache = MapService.defaultAsOfCapacity
    @OptionGroup var options: DataOptions

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "gridmap")
        let env = ProcessInfo.processInfo.environment
        var config = ServerConfig()
        config.host = host
        config.port = port
        config.readerPassword = requirepass ?? env["GRIDMAP_REQUIREPASS"]
        config.plannerPassword = plannerPass ?? env["GRIDMAP_PLANNER_PASS"]
        config.maxConnections = maxConnections
        config.idleTimeout = idleTimeout
        guard frameTimeout >= 1, authTimeout >= 1 else {
            throw ValidationError("--frame-timeout and --auth-timeout must be at least 1 s")
        }
        config.frameTimeout = frameTimeout
        config.authTimeout = authTimeout
        config.limits.maxRequestBytes = maxRequestBytes
        config.limits.maxArrayLength = maxArrayLength
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1…65535") }
        let service: MapService
        do {
            service = try MapService(storePath: try options.storePath(), asOfCapacity: asofCache)
            service.prepareGeocoding()
        } catch { throw Failure(error) }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let server = GridMapServer(service: service, config: config, logger: logger, group: loops)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await loops.shutdownGracefully()
    }
}
