#if canImport(Glibc)
import Glibc
#endif
import GridMapCore
import GridMapNetwork
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import GridMapPlanning

/// The RESP server as a ServiceLifecycle service: `run()` listens until graceful shutdown
/// (SIGINT/SIGTERM through the ServiceGroup), then stops accepting, lets every connection
/// answer what it has read, closes them and returns.
public final class RESPServer: Service, Sendable {
    public let service: MapService
    public let config: ServerConfig
    public let stats: ServerStats
    private let logger: Logger
    private let group: any EventLoopGroup
    private let registry: ConnectionRegistry
    private let onListening: @Sendable (SocketAddress) -> Void

    public init(service: MapService, config: ServerConfig, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                stats: ServerStats = ServerStats(), registry: ConnectionRegistry? = nil,
                onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }) {
        self.service = service
        self.stats = stats
        self.config = config
        self.logger = logger
        self.group = group
        self.onListening = onListening
        self.registry = registry ?? ConnectionRegistry(limit: config.maxConnections)
    }

    public func run() async throws {
        let (service, config, stats, registry) = (service, config, stats, registry)
        let logger = self.logger
        let server = try await ServerBootstrap(group: group)
            // Out of file descriptors, accept fails and the listening socket stays readable:
            // without a pause the loop would retry at once, for ever, at 100% CPU.
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPause(logger: logger, listener: "RESP"))
                }
            }
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 32 << 10, high: 256 << 10))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if config.idleTimeout > 0 {
                        try sync.addHandler(IdleStateHandler(readTimeout: .seconds(config.idleTimeout)))
                    }
                    try sync.addHandler(
                        ConnectionHandler(
                            session: Session(service: service, config: config, stats: stats, logger: logger),
                            registry: registry))
                }
            }
            .bind(host: config.host, port: config.port).get()
        let address = server.localAddress!
        let d = service.current.dataset
        logger.info(
            "gridmap listening",
            metadata: [
                "address": "\(address)", "store": "\(service.storeLocation)",
                "data_version": "\(service.current.version)",
                "grids": "\(d.grids.count)",
                "communities": "\(d.communities.count)", "streets": "\(d.streets.count)",
                "resources": "\(d.resources.count)",
                "addresses": "\(service.current.addressCount)",
                "auth": "\(config.credentials.readerPassword != nil ? "required" : "off")",
            ])
        onListening(address)

        try? await gracefulShutdown()
        logger.info("shutting down: no new connections; draining \(registry.count)")
        try? await server.close()
        for channel in registry.all { channel.pipeline.fireUserInboundEventTriggered(DrainEvent()) }
        for _ in 0..<100 where registry.count > 0 { try? await Task.sleep(for: .milliseconds(20)) }
        for channel in registry.all { try? await channel.close() }
        logger.info("stopped")
    }
}
