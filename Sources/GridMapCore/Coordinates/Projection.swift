import CPROJ
import Foundation
import Synchronization

/// A PROJ transformation between two CRSs, with axis order normalized to (lon, lat) or
/// (easting, northing) whatever the CRS's official order (EPSG:4326 and EPSG:4545 are both
/// "northing first" officially). Owns its PROJ context: PROJ contexts and PJ objects are
/// not thread-safe, so a `Transformer` stays on one thread, like a `GEOSContext`.
public final class Transformer {
    private let context: OpaquePointer
    private let pj: OpaquePointer
    public let source: String
    public let target: String

    public init(from source: String, to target: String) throws {
        guard let context = proj_context_create() else { throw GeometryError("PROJ: cannot create a context") }
        proj_context_set_enable_network(context, 0)
        proj_log_level(context, PJ_LOG_NONE)
        func failure(_ what: String) -> GeometryError {
            let code = proj_context_errno(context)
            let message = code == 0 ? "unknown error" : String(cString: proj_context_errno_string(context, code))
            return GeometryError("PROJ \(what): \(message)")
        }
        guard let raw = proj_create_crs_to_crs(context, source, target, nil) else {
            let error = failure("cannot transform \(source) → \(target)")
            proj_context_destroy(context)
            throw error
        }
        defer { proj_destroy(raw) }
        guard let normalized = proj_normalize_for_visualization(context, raw) else {
            let error = failure("cannot normalize axis order for \(source) → \(target)")
            proj_context_destroy(context)
            throw error
        }
        self.context = context
        pj = normalized
        self.source = source
        self.target = target
        NativeHandles.created()
    }

    deinit {
        proj_destroy(pj)
        proj_context_destroy(context)
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
            let message = code == 0 ? "coordinate outside the CRS's domain" : String(cString: proj_context_errno_string(context, code))
            throw GeometryError("PROJ \(source) → \(target) of (\(c.x), \(c.y)): \(message)")
        }
        return Coordinate(x, y)
    }

    /// Answers so far: creating a PROJ context per question would cost milliseconds on every
    /// request that names an EPSG code.
    private static let known = Mutex<[String: Bool]>([:])

    /// Whether PROJ knows this CRS at all (e.g. "EPSG:4545").
    public static func knows(_ crs: String) -> Bool {
        if let answer = known.withLock({ $0[crs] }) { return answer }
        let answer = ask(crs)
        known.withLock { if $0.count < 10_000 { $0[crs] = answer } }
        return answer
    }

    private static func ask(_ crs: String) -> Bool {
        guard let context = proj_context_create() else { return false }
        defer { proj_context_destroy(context) }
        proj_log_level(context, PJ_LOG_NONE)
        guard let pj = proj_create(context, crs) else { return false }
        defer { proj_destroy(pj) }
        return true
    }
}
