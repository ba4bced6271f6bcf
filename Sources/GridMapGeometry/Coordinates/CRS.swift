import Foundation
import Synchronization

/// The coordinate reference systems a caller can speak. Everything inside gridmap is
/// WGS 84 lon/lat (`wgs84`).
public enum CRS: Hashable, Sendable, CustomStringConvertible {
    case wgs84
    /// China's geodetic datum (EPSG:4490); within centimetres of WGS 84.
    case cgcs2000
    case gcj02
    case bd09
    case epsg(Int)

    /// Parses `wgs84`, `cgcs2000`, `gcj02`, `bd09` (any case, common aliases) or `EPSG:n`.
    public init(parsing text: String) throws {
        guard let crs = CRS.named(text) else {
            throw CRSError("unknown CRS '\(text)': use wgs84, cgcs2000, gcj02, bd09 or EPSG:<code>")
        }
        if case .epsg(let code) = crs, !Transformer.knows("EPSG:\(code)") {
            throw CRSError("PROJ does not know EPSG:\(code)")
        }
        self = crs
    }

    /// The CRS a name means, without asking PROJ whether it knows an EPSG code: the one table
    /// of names and aliases.
    package static func named(_ text: String) -> CRS? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch t {
        case "wgs84", "wgs-84", "4326", "epsg:4326": return .wgs84
        case "cgcs2000", "4490", "epsg:4490": return .cgcs2000
        case "gcj02", "gcj-02", "gcj", "mars", "amap", "tencent", "wechat": return .gcj02
        case "bd09", "bd-09", "baidu", "bd09ll": return .bd09
        default:
            guard t.hasPrefix("epsg:"), let code = Int(t.dropFirst(5)), code > 0 else { return nil }
            return .epsg(code)
        }
    }

    public var description: String {
        switch self {
        case .wgs84: "wgs84"
        case .cgcs2000: "cgcs2000"
        case .gcj02: "gcj02"
        case .bd09: "bd09"
        case .epsg(let n): "EPSG:\(n)"
        }
    }

    /// Whether coordinates are lon/lat degrees (as opposed to projected metres etc.).
    public var isGeographic: Bool {
        switch self {
        case .wgs84, .cgcs2000, .gcj02, .bd09: true
        case .epsg: false  // decided by PROJ; we validate only finiteness for these
        }
    }

    package var projCode: String? {
        switch self {
        case .cgcs2000: "EPSG:4490"
        case .epsg(let n): "EPSG:\(n)"
        default: nil
        }
    }
}

public struct CRSError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A CRS unknown or a conversion PROJ refused, or a coordinate out of range: the client's.
    public enum Code: String, Sendable, CaseIterable {
        case badCRS = "bad_crs", outOfRange = "out_of_range"
    }

    public let message: String
    public let typed: Code
    public var code: String { typed.rawValue }
    public init(_ message: String, code: Code = .badCRS) { self.message = message; typed = code }
    public var description: String { message }
}

/// Converts coordinates between any two `CRS`s through WGS 84. Keeps the PROJ transformers
/// it made, at most `capacity` of them (the least recently used goes first), so a client that
/// names a new EPSG code with every request costs a bounded amount of memory. Not `Sendable`:
/// one per thread (`ThreadResources.current.converter`).
public final class CoordinateConverter {
    public static let defaultCapacity = 16
    private let context: ProjContext
    public let capacity: Int
    private var transformers: [String: (transformer: Transformer, used: UInt64)] = [:]
    private var clock: UInt64 = 0

    public init(context: ProjContext = ProjContext(), capacity: Int = CoordinateConverter.defaultCapacity) {
        self.context = context
        self.capacity = max(1, capacity)
    }

    /// Whether converting from the CRS named `text` to WGS 84 is ready on this converter: a
    /// built-in one, or a PROJ one whose transformer it holds. When it is not, the first
    /// conversion opens PROJ's database and builds a transformer (milliseconds), which a
    /// server does off its event loops.
    public func isReady(forName text: String) -> Bool {
        guard let code = Self.projCode(forName: text) else { return true }
        return transformers[code + ">EPSG:4326"] != nil
    }

    /// Whether the CRS named `text` converts without PROJ (or is refused at once).
    public static func isBuiltIn(_ text: String) -> Bool { projCode(forName: text) == nil }

    /// The PROJ code that converting from the CRS named `text` needs, or nil for a built-in
    /// CRS and for a name that `CRS(parsing:)` refuses without asking PROJ.
    private static func projCode(forName text: String) -> String? { CRS.named(text)?.projCode }

    /// Transformers held now by every converter in the process.
    public static var transformersHeld: Int { held.load(ordering: .relaxed) }
    private static let held = Atomic<Int>(0)

    deinit { Self.held.subtract(transformers.count, ordering: .relaxed) }

    public func convert(_ c: Coordinate, from: CRS, to: CRS) throws -> Coordinate {
        if from == to { try Self.check(c, from); return c }
        return try fromWGS84(try toWGS84(c, from: from), to: to)
    }

    public func toWGS84(_ c: Coordinate, from crs: CRS) throws -> Coordinate {
        if let done = try Self.toWGS84WithoutPROJ(c, from: crs) { return done }
        return try transformer(crs.projCode!, "EPSG:4326").forward(c)
    }

    /// The conversion when it needs no PROJ (WGS 84, GCJ-02, BD-09): a one-off CLI lookup
    /// then makes no PROJ context at all. Nil for the CRSs PROJ converts.
    public static func toWGS84WithoutPROJ(_ c: Coordinate, from crs: CRS) throws -> Coordinate? {
        try check(c, crs)
        switch crs {
        case .wgs84: return c
        case .gcj02: return ChinaOffsets.gcj02ToWGS84(c)
        case .bd09: return ChinaOffsets.bd09ToWGS84(c)
        case .cgcs2000, .epsg: return nil
        }
    }

    public func fromWGS84(_ c: Coordinate, to crs: CRS) throws -> Coordinate {
        switch crs {
        case .wgs84: return c
        case .gcj02: return ChinaOffsets.wgs84ToGCJ02(c)
        case .bd09: return ChinaOffsets.wgs84ToBD09(c)
        case .cgcs2000, .epsg: return try transformer("EPSG:4326", crs.projCode!).forward(c)
        }
    }

    /// Rejects what cannot be a position in the CRS, with a message a person can act on.
    public static func check(_ c: Coordinate, _ crs: CRS) throws {
        guard c.x.isFinite, c.y.isFinite else {
            throw CRSError("coordinates must be finite numbers", code: .outOfRange)
        }
        if crs.isGeographic {
            guard (-180...180).contains(c.x) else {
                throw CRSError("longitude \(c.x) is outside -180…180", code: .outOfRange)
            }
            guard (-90...90).contains(c.y) else {
                throw CRSError("latitude \(c.y) is outside -90…90", code: .outOfRange)
            }
        }
    }

    private func transformer(_ from: String, _ to: String) throws -> Transformer {
        let key = from + ">" + to
        clock &+= 1
        if let t = transformers[key] {
            transformers[key]!.used = clock
            return t.transformer
        }
        let t = try Transformer(from: from, to: to, in: context)
        if transformers.count >= capacity, let oldest = transformers.min(by: { $0.value.used < $1.value.used })?.key {
            transformers[oldest] = nil
            Self.held.subtract(1, ordering: .relaxed)
        }
        transformers[key] = (t, clock)
        Self.held.add(1, ordering: .relaxed)
        return t
    }
}
