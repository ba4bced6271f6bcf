import CPROJ
import Foundation
import Synchronization

/// A PROJ context: PROJ's per-thread state, with its open proj.db. Making one and its first
/// look-up cost tens of milliseconds, so a thread keeps one (`ThreadResources`) and makes all
/// its transformers in it. Not thread-safe, like everything made in it.
public final class ProjContext {
    package let handle: OpaquePointer

    public init() {
        let made = ProjContext.live.withLock { live -> OpaquePointer? in
            guard let handle = proj_context_create() else { return nil }
            live += 1
            return handle
        }
        guard let handle = made else { fatalError("proj_context_create returned NULL (out of memory)") }
        proj_context_set_enable_network(handle, 0)
        proj_log_level(handle, PJ_LOG_NONE)
        self.handle = handle
        NativeHandles.created()
    }

    deinit {
        proj_context_destroy(handle)
        ProjContext.live.withLock { $0 -= 1 }
        NativeHandles.destroyed()
    }

    /// Contexts alive now. Every PROJ object gridmap makes keeps its context alive, so while
    /// this is 0 and its lock is held, no PROJ call can be running or start.
    private static let live = Mutex<Int>(0)

    /// Frees what PROJ keeps for the whole process (its cache of proj.db's contents: megabytes
    /// once any CRS was set up) when no context is alive; the next context starts cold (tens
    /// of milliseconds). Returns whether it did. `proj_cleanup` must not overlap any other
    /// PROJ call: making a context waits for the same lock, and none other exists.
    @discardableResult
    public static func releaseProcessCaches() -> Bool {
        live.withLock { live in
            guard live == 0 else { return false }
            proj_cleanup()
            return true
        }
    }

    /// Whether PROJ knows this CRS at all (e.g. "EPSG:4545").
    public func knows(_ crs: String) -> Bool {
        guard let pj = proj_create(handle, crs) else { return false }
        proj_destroy(pj)
        return true
    }
}

/// A PROJ transformation between two CRSs, with axis order normalized to (lon, lat) or
/// (easting, northing) whatever the CRS's official order (EPSG:4326 and EPSG:4545 are both
/// "northing first" officially). Made in a `ProjContext`, which it keeps alive; PROJ objects
/// are not thread-safe, so a `Transformer` stays on its context's thread.
public final class Transformer {
    private let owner: ProjContext
    private var context: OpaquePointer { owner.handle }
    private let pj: OpaquePointer
    public let source: String
    public let target: String

    public init(from source: String, to target: String, in owner: ProjContext) throws {
        let context = owner.handle
        func failure(_ what: String) -> GeometryError {
            let code = proj_context_errno(context)
            let message = code == 0 ? "unknown error" : String(cString: proj_context_errno_string(context, code))
            return GeometryError("PROJ \(what): \(message)")
        }
        guard let raw = proj_create_crs_to_crs(context, source, target, nil) else {
            throw failure("cannot transform \(source) → \(target)")
        }
        defer { proj_destroy(raw) }
        guard let normalized = proj_normalize_for_visualization(context, raw) else {
            throw failure("cannot normalize axis order for \(source) → \(target)")
        }
        self.owner = owner
        pj = normalized
        self.source = source
        self.target = target
        NativeHandles.created()
    }

    deinit {
        proj_destroy(pj)
        NativeHandles.destroyed()
    }

    public func forward(_ c: Coordinate) throws -> Coordinate { try run(c, PJ_FWD) }
    public func inverse(_ c: Coordinate) throws -> Coordinate { try run(c, PJ_INV) }

    private func run(_ c: Coordinate, _ direction: PJ_DIRECTION) throws -> Coordinate {
        guard c.x.isFinite, c.y.isFinite else { throw GeometryError("PROJ: coordinate is not a finite number") }
        proj_errno_reset(pj)
        let out = proj_trans(pj, direction, proj_coord(c.x, c.y, 0, 0))
        let x = out.xy.x, y = out.xy.y
        guard x.isFinite, y.isFinite, x != Double.infinity, abs(x) < 1e30, abs(y) < 1e30 else {
            let code = proj_errno(pj)
            let message =
                code == 0
                ? "coordinate outside the CRS's domain" : String(cString: proj_context_errno_string(context, code))
            throw GeometryError("PROJ \(source) → \(target) of (\(c.x), \(c.y)): \(message)")
        }
        return Coordinate(x, y)
    }

    /// Answers so far (a few bytes each, at most 10,000): asking PROJ costs a look-up in
    /// proj.db on every request that names an EPSG code.
    private static let known = Mutex<[String: Bool]>([:])

    /// Whether PROJ knows this CRS at all (e.g. "EPSG:4545"), asked in this thread's context.
    public static func knows(_ crs: String) -> Bool {
        if let answer = known.withLock({ $0[crs] }) { return answer }
        let answer = ThreadResources.current.proj.knows(crs)
        known.withLock { if $0.count < knownCapacity { $0[crs] = answer } }
        return answer
    }

    /// At most this many answers of `knows` are kept.
    public static let knownCapacity = 10_000
    public static var knownAnswers: Int { known.withLock { $0.count } }
}
