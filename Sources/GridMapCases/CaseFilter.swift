import Foundation
import GridMapGeometry

/// Which cases a query wants: every condition given must hold. The queue order is by due
/// time, so the overdue come first.
public struct CaseFilter: Sendable {
    public static let defaultLimit = 100
    public static let maxLimit = 1000

    public var ids: [Int] = []
    public var grid: String?
    public var community: String?
    public var street: String?
    public var unit: String?
    public var stages: [CaseStage] = []
    public var categories: [String] = []
    /// Open and past due at `nowMs`.
    public var overdue = false
    /// Reported in [fromMs, toMs).
    public var fromMs: Int64?
    public var toMs: Int64?
    /// Last changed in [updatedAfterMs, updatedBeforeMs].
    public var updatedAfterMs: Int64?
    public var updatedBeforeMs: Int64?
    /// (minLon, minLat, maxLon, maxLat), WGS 84.
    public var box: (Double, Double, Double, Double)?
    /// A centre (WGS 84) and a radius in metres.
    public var circle: (lon: Double, lat: Double, metres: Double)?
    public var limit = CaseFilter.defaultLimit
    public var offset = 0
    public var nowMs: Int64 = 0

    public init() {}

    /// The WHERE clause and its arguments (placeholders `?`).
    func clause() -> (String, [CaseValue]) {
        var parts: [String] = [], args: [CaseValue] = []
        func equal(_ column: String, _ v: String?) {
            guard let v else { return }
            parts.append("\(column) = ?"); args.append(.text(v))
        }
        func among(_ column: String, _ values: [CaseValue]) {
            guard !values.isEmpty else { return }
            parts.append("\(column) IN (" + values.map { _ in "?" }.joined(separator: ",") + ")")
            args += values
        }
        among("r.id", ids.map { .int($0) })
        equal("r.grid", grid)
        equal("r.community", community)
        equal("r.street", street)
        equal("s.unit", unit)
        among("s.stage", stages.map { .text($0.rawValue) })
        among("r.category", categories.map { .text($0) })
        if overdue {
            // Named stages, not "not finished": the (stage, due_ms) index then reads only the open
            // cases past due, not every finished case of a long history in due order.
            let owing = CaseStage.allCases.filter { $0.isOpen && $0 != .deferred }
            let names = owing.map { "'\($0.rawValue)'" }.joined(separator: ",")
            parts.append("s.stage IN (\(names)) AND s.due_ms < ?")
            args.append(.int(Int(nowMs)))
        }
        if let fromMs { parts.append("r.reported_ms >= ?"); args.append(.int(Int(fromMs))) }
        if let toMs { parts.append("r.reported_ms < ?"); args.append(.int(Int(toMs))) }
        if let updatedAfterMs { parts.append("s.updated_ms >= ?"); args.append(.int(Int(updatedAfterMs))) }
        if let updatedBeforeMs { parts.append("s.updated_ms <= ?"); args.append(.int(Int(updatedBeforeMs))) }
        var box = self.box
        if let c = circle {
            // The circle's bounding box in the index; the exact distance is checked on each row.
            let dLat = c.metres / 111_000, dLon = c.metres / (111_000 * cos(c.lat * .pi / 180))
            box = (c.lon - dLon, c.lat - dLat, c.lon + dLon, c.lat + dLat)
        }
        if let b = box {
            parts.append("r.lon BETWEEN ? AND ? AND r.lat BETWEEN ? AND ?")
            args += [.double(b.0), .double(b.2), .double(b.1), .double(b.3)]
        }
        return (parts.isEmpty ? "" : "WHERE " + parts.joined(separator: " AND "), args)
    }

    /// The exact part of a circle: the great-circle distance (haversine, sphere of the WGS 84
    /// mean radius).
    func keeps(lon: Double, lat: Double) -> Bool {
        guard let c = circle else { return true }
        let r = 6_371_008.8, p1 = c.lat * .pi / 180, p2 = lat * .pi / 180
        let dp = p2 - p1, dl = (lon - c.lon) * .pi / 180
        let a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2)
        return 2 * r * asin(min(1, a.squareRoot())) <= c.metres
    }
}
