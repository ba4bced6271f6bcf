import GridMapCore
import GridMapNetwork
import Logging
import GridMapPlanning

/// One connection's state. Lives on the connection's event loop only; the GEOS and PROJ
/// handles it uses are that thread's (`ThreadResources`), shared by its connections.
final class Session {
    let service: MapService
    var store: SnapshotCell { service.snapshots }
    let config: ServerConfig
    let stats: ServerStats
    var role: Role
    /// The user AUTH named (recorded as the author of what this connection publishes).
    var user = Credentials.anonymousAuthor
    /// Channels this connection is subscribed to; while there are any, it takes only
    /// subscription commands, PING and QUIT (as Redis does in RESP2).
    var subscriptions: [String] = []
    var subscriptionListener: Int?
    /// This connection's listener on the case feed (`gridmap:cases…` channels), if any.
    var caseListener: Int?
    /// Hands a message to this connection's event loop to be written (set by its handler).
    var deliver: (@Sendable (RESPValue) -> Void)?
    var protocolVersion = 2
    var clientName: String?
    /// The client's address, which failed authentications are counted by.
    var client = "unknown"
    var shouldClose = false
    /// Set when the connection sent HTTP (`CrossProtocolGuard`): its handler closes it unanswered.
    var crossProtocolWord: String?
    /// This connection's command statistics since the last merge into `stats`, by
    /// `CommandTable.specs` index.
    var localStats = ServerStats.Counts()
    /// Commands are timed by runs: consecutive requests of one command in a turn (what a
    /// pipelining client sends) share two clock reads, one where the run starts and one where
    /// it ends, and split the run's time evenly. A clock read costs a third of a PING's whole
    /// server-side work, so reading it for every request would tax every pipelined reply.
    private var runStart: UInt64 = 0
    private var runCommand = -1
    private var runCalls = 0
    /// Reused for replies built as bytes (LOCATE's JSON), so they allocate nothing.
    var scratch: [UInt8] = []

    private var pinned: Snapshot?

    /// The version this turn of requests reads: taken from the store (under its lock) once
    /// per turn rather than per request, and let go at the end of the turn, so an idle
    /// connection keeps no old version alive.
    var snapshot: Snapshot {
        if let pinned { return pinned }
        let current = store.current
        pinned = current
        return current
    }

    /// Starts a turn: a batch of requests read together.
    func beginTurn() {
        runStart = monotonicNanos()
        runCalls = 0
    }

    /// Called before command `index` runs: a different command ends the current run.
    @inline(__always)
    func willRun(_ index: Int) {
        if index != runCommand, runCalls > 0 { endRun(at: monotonicNanos()) }
        runCommand = index
        runCalls += 1
    }

    private func endRun(at now: UInt64) {
        localStats.addTime(runCommand, nanos: now &- runStart, calls: runCalls)
        runStart = now
        runCalls = 0
    }

    /// Ends a turn: times its last run and lets go of the snapshot it read.
    func endTurn() {
        if runCalls > 0 { endRun(at: monotonicNanos()) }
        releaseSnapshot()
    }

    /// The next request reads the store's current version (after a RELOAD published one).
    func releaseSnapshot() { pinned = nil }


    let logger: Logger

    init(service: MapService, config: ServerConfig, stats: ServerStats, logger: Logger = Logger(label: "gridmap")) {
        self.service = service
        self.config = config
        self.stats = stats
        self.logger = logger
        role = config.credentials.initialRole
    }

    /// What an error reply may show this client, and where internal errors are logged.
    var errorView: ErrorView { ErrorView(planner: role >= .planner, logger: logger) }

    /// Runs `work` on the thread pool (see `RESPValue.pending`); its errors become replies as
    /// any command's do. `work` must capture only values that may cross threads.
    func offLoop(_ work: @escaping @Sendable () throws -> RESPValue) -> RESPValue {
        let view = errorView
        return .pending(PendingWork {
            do { return try work() } catch { return CommandTable.reply(for: error, view) }
        })
    }

    /// Work that answers through a callback (a case write waiting for its group's commit), its
    /// errors replied as any other's.
    func handing(_ work: @escaping @Sendable (@escaping @Sendable (Result<RESPValue, any Error>) -> Void) throws
                    -> Void) -> RESPValue {
        let view = errorView
        return .pending(PendingWork(handing: { reply in
            let answer: @Sendable (Result<RESPValue, any Error>) -> Void = { result in
                switch result {
                case .success(let value): reply(value)
                case .failure(let error): reply(CommandTable.reply(for: error, view))
                }
            }
            do { try work(answer) } catch { answer(.failure(error)) }
        }))
    }

    /// Work that awaits (a publish queued for the watcher), its errors replied as any other's.
    func awaiting(_ work: @escaping @Sendable () async throws -> RESPValue) -> RESPValue {
        let view = errorView
        return .pending(PendingWork(awaiting: {
            do { return try await work() } catch { return CommandTable.reply(for: error, view) }
        }))
    }

    /// Lets go of what the connection holds outside itself when it closes.
    func close() {
        if let id = subscriptionListener { service.unsubscribe(id) }
        subscriptionListener = nil
        closeCaseListener()
    }

    func closeCaseListener() {
        if let id = caseListener { service.cases.feed.stop(id) }
        caseListener = nil
    }
}

/// A refused command: becomes `-<code> <message>`.
struct CommandError: Error {
    let code: String
    let message: String
    init(_ message: String, code: String = "ERR") { self.code = code; self.message = message }
    var reply: RESPValue { .error("\(code) \(message)") }
}

/// What an error reply may show (a store's path: planners only), and the log for internal ones.
struct ErrorView: Sendable {
    let planner: Bool
    let logger: Logger
}
