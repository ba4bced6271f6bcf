import GridMapCore

/// One connection's state. Lives on the connection's event loop only, which is also where
/// its GEOS and PROJ handles are made and used (they are per-thread by design).
final class Session {
    let store: SnapshotStore
    let config: ServerConfig
    let stats: ServerStats
    var role: Role
    var protocolVersion = 2
    var clientName: String?
    var shouldClose = false
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

    private var _converter: CoordinateConverter?
    private var _measurer: MetricMeasurer?

    init(store: SnapshotStore, config: ServerConfig, stats: ServerStats) {
        self.store = store
        self.config = config
        self.stats = stats
        role = config.initialRole
    }

    var converter: CoordinateConverter {
        if let c = _converter { return c }
        let c = CoordinateConverter()
        _converter = c
        return c
    }

    private var _geocoder: Geocoder?

    /// This connection's geocoder (its own SQLite connection), for the snapshot's library;
    /// replaced when a RELOAD has published another version.
    func geocoder(for snapshot: Snapshot) throws -> Geocoder {
        let library = try snapshot.addressLibrary()
        if let g = _geocoder, g.library === library { return g }
        let g = try Geocoder(library: library)
        _geocoder = g
        return g
    }

    func measurer() throws -> MetricMeasurer {
        if let m = _measurer { return m }
        let m = try MetricMeasurer()
        _measurer = m
        return m
    }
}

/// A refused command: becomes `-<code> <message>`.
struct CommandError: Error {
    let code: String
    let message: String
    init(_ message: String, code: String = "ERR") { self.code = code; self.message = message }
    var reply: RESPValue { .error("\(code) \(message)") }
}
