import CGridMapSupport
import Foundation
import Synchronization
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapStores

/// Serves a map store: the current version as a `Snapshot` readers take without waiting,
/// versions published by anyone (this process or another on the same file) picked up by a
/// watcher thread that polls the store, built beside the current one and swapped in, earlier
/// versions for as-of queries from a bounded cache, and a notification per new version.
///
/// Every skin (RESP, HTTP, CLI) goes through this: store access, publishes and builds happen
/// here, off any event loop. The store is any `VersionedStore`, used through one lock
/// (`SerialStore`).
public final class MapService: Sendable {
    public static let defaultAsOfCapacity = 4
    public static let defaultPollInterval = Duration.milliseconds(100)
    /// The nice value of the thread that publishes and builds versions (see `startWatching`).
    public static let builderNice: Int32 = 10
    /// How often the watcher hands the heap's freed pages back to the system: what a burst of
    /// clients (or abusive ones) made the heap grow to is returned within about this long.
    public static let trimIntervalSeconds = 30.0

    public let storeLocation: String
    public let snapshots: SnapshotCell
    /// The case log beside the map.
    public let cases: CaseDesk
    private let store: SerialStore?
    private let refreshing = NSLock()
    private let asOf: AsOfCache
    private let events = VersionEvents()
    private let watching = Atomic<Bool>(false)
    /// Publishes for the watcher's thread, and what wakes it early.
    private let inbox = WatcherInbox()
    private let versionTimes: VersionTimes
    /// Why the store cannot be written now (removed, replaced, corrupt), or nil: lookups go on
    /// from memory meanwhile, and `/readyz` reports it.
    public let storeHealth = StoreHealth()
    /// Why this process may not write its store at all (found at start), or nil.
    public let writeRefusal: String?
    /// Whether publishing can work now: the store allows it and no problem is known.
    public var storeWritable: Bool { writeRefusal == nil && storeHealth.problem == nil }
    /// Publishes picked up, and the time of the last build (nanoseconds).
    public let publishes = Atomic<Int>(0)
    public let lastBuildNanos = Atomic<UInt64>(0)
    /// The newest version heard of and how far behind it this server is.
    public let follow = FollowState()
    /// The state of the watcher following the store for this service (`VersionWatcher`), as
    /// INFO and `/metrics` report it: `idle` when none runs. Only the watcher's transitions
    /// (`VersionWatcher.handle`) change it.
    public var watcherState: VersionWatcher.State { watcherStateCell.withLock { $0 } }
    let watcherStateCell = Mutex<VersionWatcher.State>(.idle)
    /// How often the watcher polls when the store sends hints of new versions (NOTIFY): a
    /// safety net for a hint that is lost, not the way versions normally arrive.
    public static let safetyPollInterval = Duration.seconds(1)

    /// Opens the store at `storeLocation` (a file or a database, see `Stores`) and builds its
    /// current version (`readOnly`: for
    /// one-off commands that only read).
    public convenience init(storeLocation: String, asOfCapacity: Int = MapService.defaultAsOfCapacity,
                            readOnly: Bool = false) throws {
        try self.init(store: try Stores.open(storeLocation, readOnly: readOnly), asOfCapacity: asOfCapacity,
                      casesAt: storeLocation)
    }

    /// Serves `store` (any backend), building its current version. The service owns the store
    /// from then on: nothing else may use it (its calls are serialised by the service's lock).
    /// The case log is opened at `casesAt` (the store's location as given, with any password),
    /// by default at the store's location as it shows it; or `desk` is the one to use (a server
    /// makes it first, to check accounts before the map is loaded).
    public init(store: any VersionedStore, asOfCapacity: Int = MapService.defaultAsOfCapacity,
                casesAt: String? = nil, desk: CaseDesk? = nil) throws {
        storeLocation = store.location
        cases = desk ?? CaseDesk(location: casesAt ?? store.location)
        asOf = AsOfCache(capacity: asOfCapacity)
        let health = storeHealth
        let serial = SerialStore(store) { e in if StoreHealth.isLasting(e) { health.report(e) } }
        let snapshot = try MapService.build(version: try serial { try $0.head() }, store: serial, reuse: nil)
        versionTimes = VersionTimes(try serial { try $0.versions() }.map { ($0.id, $0.publishedMs) })
        releaseFreedMemory()
        self.store = serial
        snapshots = SnapshotCell(snapshot)
        writeRefusal = try serial { try $0.writeRefusal() }
    }

    /// Serves one snapshot held in memory, with no store behind it (benchmarks and tests of
    /// the lookup path): store commands answer that there is no store.
    public init(snapshot: Snapshot) {
        storeLocation = "(memory)"
        cases = CaseDesk(location: nil)
        asOf = AsOfCache(capacity: 1)
        store = nil
        writeRefusal = "this map is served from memory, not from a store"
        versionTimes = VersionTimes([(Int(snapshot.version) ?? 0, 0)])
        snapshots = SnapshotCell(snapshot)
    }

    public var current: Snapshot { snapshots.current }

    /// Version `version` built for lookups, its addresses read when first geocoding (or those
    /// `reuse` already read, when they are the same).
    private static func build(version: Int, store: SerialStore, reuse: Snapshot?) throws -> Snapshot {
        guard reuse == nil else {
            return try Snapshot(
                dataset: try store { try $0.dataset(version: version, addresses: false) },
                addresses: try store { try $0.addressSource(version: version, reuse: reuse?.addressSource) },
                reusing: reuse)
        }
        // A first build (start-up): the grid index, its largest part, needs only the grids.
        // It is built from them on another thread while this one reads the rest of the
        // version, much of which is SQLite handing over rows on one core.
        let shapes = try store { try $0.gridShapes(version: version) }.map(\.shape)
        let (index, dataset) = try inParallel({ Result { try GridIndex(polygons: shapes) } }) {
            try store { try $0.dataset(version: version, addresses: false) }
        }
        return try Snapshot(dataset: dataset,
                            addresses: try store { try $0.addressSource(version: version, reuse: nil) },
                            gridIndex: try index.get())
    }

    /// The store, each use under its lock (`SerialStore`); a lasting problem a use meets is
    /// recorded in `storeHealth`.
    public func serialStore() throws -> SerialStore {
        guard let store else { throw MapService.noStore(storeLocation) }
        return store
    }

    private static func noStore(_ path: String) -> StoreError {
        StoreError(path, "this map is served from memory, not from a store", code: .servedFromMemory)
    }

    /// Runs `body` with the store, holding its lock for the whole of `body` (a read that must
    /// see one state, such as a version and the versions before it). `body` must not keep the
    /// store, nor call this service's store (the lock is not reentrant).
    public func withStore<T>(_ body: (any VersionedStore) throws -> T) throws -> T {
        guard let store else { throw MapService.noStore(storeLocation) }
        return try store(body)
    }

    /// Checks the store file (removed, replaced, overwritten?) and records the outcome. A
    /// problem only this check finds it clears again when it passes (the file was put back);
    /// a corrupt or read-only store stays reported until the server restarts.
    public func checkStore() {
        guard store != nil else { return }
        do {
            try withStore { try $0.checkIntact() }
            if let code = storeHealth.problem?.typed, code == .storeUnusable || code == .storeUnavailable {
                storeHealth.report(nil)
            }
        } catch let e as StoreError where e.typed == .storeUnavailable {
            // A database that cannot be reached: lookups go on from memory, but nothing can be
            // published here until it is back, which /readyz and INFO must say.
            storeHealth.report(e)
        } catch {}
    }

    /// Checks the store now: when it holds a newer version, builds it and makes it current.
    /// Returns the version now current. Requests already running finish on the old one.
    @discardableResult
    public func refresh() throws -> Int {
        // One refresh at a time (the watcher's, or a caller's when nothing watches): two would
        // build the same version and announce it twice.
        refreshing.lock()
        defer { refreshing.unlock() }
        // Each read takes the store's lock for itself only: a build takes seconds at 100×, and
        // planning's reads and saves go on meanwhile.
        let store = try serialStore()
        let (built, infos): (Snapshot?, [VersionInfo]) = try {
            let head = try store { try $0.head() }
            let current = Int(snapshots.current.version) ?? 0
            follow.saw(head, serving: current)
            guard head > current else { return (nil, []) }
            let start = DispatchTime.now().uptimeNanoseconds
            let snapshot = try MapService.build(version: head, store: store, reuse: snapshots.current)
            lastBuildNanos.store(DispatchTime.now().uptimeNanoseconds - start, ordering: .relaxed)
            let infos = try store { s in try ((current + 1)...head).map { try s.version($0) } }
            versionTimes.add(infos)
            return (snapshot, infos)
        }()
        guard let built else { return Int(snapshots.current.version) ?? 0 }
        // No trim here: malloc_trim holds each arena's lock while it walks it, which would
        // stall the event loops' allocations after every publish; the watcher trims every 30 s.
        snapshots.publish(built)
        follow.saw(Int(built.version) ?? 0, serving: Int(built.version) ?? 0)
        publishes.add(1, ordering: .relaxed)
        events.announce(infos)
        return Int(built.version) ?? 0
    }

    /// Begins watching (`VersionWatcher` runs the loop): publishes are queued for the
    /// watcher's thread from now on, and a store that sends hints (PostgreSQL) gets a listener
    /// that wakes the watcher as a version is published. Returns how long the watcher waits
    /// between polls: `interval`, or with hints only the safety net's interval. Nil when
    /// another watcher already watches this service.
    func beginWatching(every interval: Duration) -> Int64? {
        guard watching.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return nil }
        inbox.open()
        let ms = interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000
        capRetainedFreeMemory()
        let hinted = store?.sendsVersionHints ?? false
        if hinted {
            VersionHintListener.start(open: { [self] in try withStore { try $0.versionHints() } }, follow: follow,
                                      inbox: inbox, serving: { [self] in Int(current.version) ?? 0 },
                                      running: { [self] in isWatching })
        }
        return hinted ? max(ms, Int64(MapService.safetyPollInterval.components.seconds * 1000)) : ms
    }

    /// One turn of the watcher, on its thread: the queued publishes, the store's check, and
    /// the newest version built and made current. Answers the version served, or why the
    /// watcher cannot follow the store now.
    func watchTurn() -> Result<Int, StoreError> {
        for job in inbox.take() { job() }
        checkStore()
        do {
            let v = try refresh()
            if let problem = storeHealth.problem { return .failure(problem) }
            return .success(v)
        } catch let e as StoreError {
            return .failure(e)
        } catch {
            return .failure(StoreError(storeLocation, "\(error)", code: .storeUnavailable))
        }
    }

    /// Waits up to `ms` for a publish or a hint to wake the watcher.
    func waitForWork(ms: Int64) { inbox.wait(ms: ms) }

    /// Whether the watcher should go on (false once `stopWatching` was called).
    var isWatching: Bool { watching.load(ordering: .relaxed) }

    /// Ends watching, on the watcher's thread: the last queued publishes run, and any publish
    /// arriving after this runs on its caller.
    func endWatching() {
        for job in inbox.close() { job() }
    }

    /// Asks the watcher to stop after its current turn.
    func stopWatching() {
        watching.store(false, ordering: .relaxed)
        inbox.wake()
    }

    /// Runs `body` with the store (each use under its lock), then makes the store's newest
    /// version current, and returns what `body` returned: a publish whose reply must come from
    /// the new version. On the calling thread: the CLI's way, where nothing watches (servers
    /// await theirs, queued for the watcher's thread: the async `publishing`).
    public func publishing<T>(_ body: (SerialStore) throws -> T) throws -> T {
        try publishResult(body).get()
    }

    /// As `publishing`, with no thread waiting for it: the caller awaits while the watcher's
    /// thread runs `body` and makes the new version current (a thread of its own does when no
    /// watcher runs). What the servers use, so a queue of publishes holds no thread each.
    public func publishing<T: Sendable>(_ body: @escaping @Sendable (SerialStore) throws -> T) async throws
        -> T
    {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<T, any Error>) in
            let job: @Sendable () -> Void = { [self] in done.resume(with: publishResult(body)) }
            guard watching.load(ordering: .relaxed), inbox.post(job) else {
                // No watcher (tests, embedding): a thread of its own, not one of Dispatch's pool,
                // which blocking work elsewhere may hold.
                Thread.detachNewThread { job() }
                return
            }
        }
    }

    /// Publishes queued for the watcher's thread, not yet taken.
    package var queuedPublishes: Int { inbox.count }

    /// `body` with the store, then the store's newest version made current.
    private func publishResult<T>(_ body: (SerialStore) throws -> T) -> Result<T, any Error> {
        Result {
            let value = try body(try serialStore())
            try refresh()
            return value
        }
    }

    /// Reads the current version's addresses and builds its address library on a thread of
    /// its own: LOCATE is served meanwhile, and GEOCODE waits (off the event loops) only if it
    /// comes before they are ready. At 100× that is seconds of start-up LOCATE no longer waits for.
    public func prepareGeocoding() {
        let snapshot = current
        Thread.detachNewThread { _ = try? snapshot.addressLibrary }
    }

    /// Calls `listener` (on the watcher's thread) for every version published from now on.
    public func subscribe(_ listener: @escaping @Sendable (VersionEvent) -> Void) -> Int {
        events.subscribe(listener)
    }

    public func unsubscribe(_ id: Int) { events.unsubscribe(id) }

    /// The version `text` names or that was live at the moment it names (see `AsOf`),
    /// resolved in memory: no store access, so it may run on an event loop.
    public func resolve(asOf text: String) throws -> Int {
        try versionTimes.resolve(text, file: storeLocation)
    }

    /// Version `version`'s snapshot if it is current or cached (no build, no store access).
    public func cachedSnapshot(version: Int) -> Snapshot? {
        let current = snapshots.current
        if current.version == String(version) { return current }
        return asOf.snapshot(version: version)
    }

    /// Version `version`'s snapshot, built (slow: call it off any event loop) when not cached.
    public func snapshot(version: Int) throws -> Snapshot {
        if let hit = cachedSnapshot(version: version) { return hit }
        // Each read under the lock for itself: an as-of build does not hold up the watcher.
        let built = try MapService.build(version: version, store: try serialStore(), reuse: snapshots.current)
        asOf.keep(built, version: version)
        return built
    }

    /// The versions in the as-of cache, for INFO.
    public var cachedVersions: [Int] { asOf.versions }
    public var asOfCapacity: Int { asOf.capacity }
}
