#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import Synchronization

/// The native handles of one thread: a GEOS context, and a PROJ context with a bounded cache
/// of transformers and a metric measurer. They are made the first time the thread asks and
/// freed when it exits; the PROJ part is also freed when the thread has not used it for
/// `idleReleaseSeconds` (`releaseIdle`), and made again on the next request that needs it.
///
/// Why per thread: GEOS contexts, PROJ contexts and their objects may be used by one thread
/// at a time, and making them is slow (a PROJ context opens proj.db: tens of milliseconds).
/// Per connection, that cost would be paid on the event loop by every new client and the
/// handles would grow with the number of clients; per thread, an event loop or a pool thread
/// pays it once and the count of handles is bounded by the count of threads.
///
/// Why the PROJ part is released when idle: proj.db's caches and the transformers of a client
/// that named many CRSs take megabytes per thread, which a server would otherwise keep for
/// the rest of its life after that client left.
public final class ThreadResources {
    public let geos: GEOSContext
    private let slot = ProjSlot()

    /// How long a thread's PROJ context may go unused before `releaseIdle` frees it.
    public static let idleReleaseSeconds = 60.0

    package init() {
        geos = GEOSContext()
        ThreadResources.slots.withLock { $0[ObjectIdentifier(slot)] = slot }
    }

    deinit {
        ThreadResources.slots.withLock { $0[ObjectIdentifier(slot)] = nil }
    }

    /// This thread's PROJ context, made if it was released or never made.
    public var proj: ProjContext { slot.resources().context }

    /// This thread's coordinate converter (its transformers live in `proj`).
    public var converter: CoordinateConverter { slot.resources().converter }

    /// Areas and lengths in metres (EPSG:4545), with this thread's GEOS and PROJ contexts.
    public func measurer() throws -> MetricMeasurer {
        let r = slot.resources()
        if let m = r.measurer { return m }
        let m = try MetricMeasurer(context: geos, proj: r.context)
        r.measurer = m
        return m
    }

    /// Whether converting from the CRS named `text` is ready on this thread without setting
    /// PROJ up (see `CoordinateConverter.isReady`). Makes nothing.
    public func isReady(forCRSNamed text: String) -> Bool {
        slot.existing().map { $0.converter.isReady(forName: text) } ?? CoordinateConverter.isBuiltIn(text)
    }

    /// This thread's resources. Not to be handed to another thread (the type is not Sendable).
    public static var current: ThreadResources {
        if let p = pthread_getspecific(threadKey) {
            return Unmanaged<ThreadResources>.fromOpaque(p).takeUnretainedValue()
        }
        let made = ThreadResources()
        pthread_setspecific(threadKey, Unmanaged.passRetained(made).toOpaque())
        return made
    }

    /// Frees the PROJ contexts (with their transformers) of every thread that has not used its
    /// own for `idleFor` seconds, and PROJ's process-wide caches once no context is left;
    /// returns how many contexts were freed. Any thread may call it.
    @discardableResult
    public static func releaseIdle(idleFor seconds: Double = idleReleaseSeconds) -> Int {
        let limit = ContinuousClock.now - .seconds(seconds)
        let freed = slots.withLock { Array($0.values) }.filter { $0.release(ifIdleSince: limit) }.count
        if freed > 0 { ProjContext.releaseProcessCaches() }
        return freed
    }

    /// PROJ contexts held now, over all threads.
    public static var projContexts: Int { slots.withLock { $0.values.filter(\.isHeld).count } }

    private static let slots = Mutex<[ObjectIdentifier: ProjSlot]>([:])
}

/// What a thread has made with PROJ; one thread uses it (see `ProjSlot`).
private final class ProjResources {
    package let context = ProjContext()
    package lazy var converter = CoordinateConverter(context: context)
    package var measurer: MetricMeasurer?
}

/// A thread's PROJ resources, or none, and when they were last asked for.
///
/// `@unchecked Sendable`: `releaseIdle` reaches every thread's slot, so `held` and `lastUsed`
/// are read and written under `lock` only. The `ProjResources` themselves are used only by the
/// owning thread: another thread only drops the slot's reference, and the objects are freed
/// when the last reference goes, so never while the owner is still using one that it took.
private final class ProjSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var held: ProjResources?
    private var lastUsed = ContinuousClock.now

    package func resources() -> ProjResources {
        lock.lock()
        defer { lock.unlock() }
        lastUsed = .now
        if let held { return held }
        let made = ProjResources()
        held = made
        return made
    }

    package func existing() -> ProjResources? {
        lock.lock()
        defer { lock.unlock() }
        return held
    }

    package var isHeld: Bool { existing() != nil }

    package func release(ifIdleSince limit: ContinuousClock.Instant) -> Bool {
        lock.lock()
        guard held != nil, lastUsed < limit else { lock.unlock(); return false }
        let dropped = held
        held = nil
        lock.unlock()
        _ = dropped  // freed here, outside the lock, if the owner holds none of it
        return true
    }
}

/// The key under which each thread keeps its `ThreadResources`; the destructor releases them
/// when the thread exits.
private let threadKey: pthread_key_t = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { pointer in
        guard let pointer else { return }
        Unmanaged<ThreadResources>.fromOpaque(pointer).release()
    }
    precondition(rc == 0, "pthread_key_create failed")
    return key
}()
