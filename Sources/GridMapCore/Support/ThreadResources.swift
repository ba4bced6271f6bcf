#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The native handles of one thread: a GEOS context, a PROJ context with a bounded cache of
/// transformers, and a metric measurer, made the first time the thread asks and freed when
/// it exits.
///
/// Why per thread: GEOS contexts, PROJ contexts and their objects may be used by one thread
/// at a time, and making them is slow (a PROJ context opens proj.db: tens of milliseconds).
/// Per connection, that cost would be paid on the event loop by every new client and the
/// handles would grow with the number of clients; per thread, an event loop or a pool thread
/// pays it once and the count of handles is bounded by the count of threads.
public final class ThreadResources {
    public let geos: GEOSContext
    public let proj: ProjContext
    public let converter: CoordinateConverter
    private var _measurer: MetricMeasurer?

    init() {
        geos = GEOSContext()
        proj = ProjContext()
        converter = CoordinateConverter(context: proj)
    }

    /// Areas and lengths in metres (EPSG:4545), with this thread's GEOS and PROJ contexts.
    public func measurer() throws -> MetricMeasurer {
        if let m = _measurer { return m }
        let m = try MetricMeasurer(context: geos, proj: proj)
        _measurer = m
        return m
    }

    /// This thread's resources. Not to be handed to another thread (the type is not Sendable).
    public static var current: ThreadResources {
        if let p = pthread_getspecific(threadKey) { return Unmanaged<ThreadResources>.fromOpaque(p).takeUnretainedValue() }
        let made = ThreadResources()
        pthread_setspecific(threadKey, Unmanaged.passRetained(made).toOpaque())
        return made
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
