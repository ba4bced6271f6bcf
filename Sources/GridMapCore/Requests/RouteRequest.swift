import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// ROUTE: for a report at a point in a category, whoever must handle it there — the grid and
/// its workers, the department's unit responsible at that point (the lowest id among its units'
/// closed areas that cover it, the grids' rule) with its duty phone and its staff for this
/// grid, the 属地 chain (grid worker, community, street) that takes it when no unit is
/// responsible, the time limit and when it falls due, and the basis of the answer, so that a
/// disputed route (属地不符, 权属不清) can be traced.
public struct RouteRequest: MapRequest {
    /// A point this close to another unit of the same department is flagged `near_border`.
    public static let defaultBorderMetres = RoutingRule.defaultBorderMetres
    public static let maxBorderMetres = 500.0
    /// How many of a unit's staff are named when none is assigned to the grid.
    package static let nearestStaff = 3

    public let point: PointQuery
    public let category: String
    public let borderMetres: Double
    /// When the report came in (the due time counts from it); now by default.
    public let receivedMs: Int64?

    public init(_ point: PointQuery, category: String, border: Double? = nil, receivedMs: Int64? = nil) throws {
        let border = border ?? Self.defaultBorderMetres
        guard (0...Self.maxBorderMetres).contains(border) else {
            throw RequestError("border must be 0 to \(Int(Self.maxBorderMetres)) metres", code: .outOfRange)
        }
        (self.point, self.category, borderMetres, self.receivedMs) = (point, category, border, receivedMs)
    }

    public func isQuick(_ map: MapView) -> Bool { point.isQuick(map) }

    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        let snapshot = try point.snapshot(map)
        let p = try point.wgs84()
        try Self.write(snapshot, p, category: category, border: borderMetres,
                       receivedMs: receivedMs ?? Clock.nowMs, to: &out)
    }

    /// The route as JSON (see the type's comment; docs/PROTOCOL.md, ROUTE), parsed: for tests.
    /// `exact` decides the unit and the border on the true coordinates even where the
    /// department's clear cells would answer.
    package static func route(_ s: Snapshot, _ p: Coordinate, category code: String, border: Double, receivedMs: Int64,
                      exact: Bool = false) throws -> JSONValue {
        var out: [UInt8] = []
        try write(s, p, category: code, border: border, receivedMs: receivedMs, exact: exact, to: &out)
        return try JSONParser.parse(out)
    }

    /// The route as UTF-8 JSON appended to `out`, from the parts serialized with the version
    /// (`RouteParts`): a grid lookup, one read of the department's clear cells (away from its
    /// units' edges), a few appends and four numbers.
    package static func write(_ s: Snapshot, _ p: Coordinate, category code: String, border: Double, receivedMs: Int64,
                      exact: Bool = false, to out: inout [UInt8]) throws {
        guard let units = s.departmentUnits else {
            throw RequestError("this map has no departments, units or categories (departments.csv, units.geojson, "
                               + "categories.csv): nothing can be routed", code: .noNetwork)
        }
        let parts = units.parts
        guard let c = parts.categoryIndex[code] else {
            throw RequestError("unknown category '\(code.prefix(40))'; the catalogue is at /open311/v2/services.json",
                               code: .unknownCategory)
        }
        let category = parts.categories[c]
        let department = category.department.map { parts.departments[$0] }
        // The department's cell is asked for first: its cache miss then overlaps the grid's.
        department?.layer.clear.prefetch(p)
        guard let g = s.locate(p) else {
            throw RequestError("the point (\(JSONValue.format(p.x)) \(JSONValue.format(p.y))) is outside the district",
                               code: .outsideDistrict)
        }
        // The units covering the point (indices into the department's layer) and, when one
        // does, the department's other units within `border` metres.
        var covering: [Int] = [], near: [(Int, Double)] = [], unit: Int?
        if let layer = department?.layer {
            let decision = layer.decide(at: p, exact: exact || border > layer.clear.clearance)
            (covering, unit) = (decision.covering, decision.unit)
            if decision.nearEdge, let u = unit {
                near = units.unitsNear(p, layer, within: border, except: u)
            }
        }
        out.appendText(RouteKeys.pointLon)
        JSONValue.appendNumber(p.x, to: &out)
        out.appendText(RouteKeys.pointLat)
        JSONValue.appendNumber(p.y, to: &out)
        out.append(UInt8(ascii: "}"))
        out += category.head
        appendChinaTime(receivedMs, to: &out)
        out.appendText(RouteKeys.due)
        appendChinaTime(category.due(from: receivedMs), to: &out)
        out.appendText(RouteKeys.categoryEnd)
        out += category.hasDepartment && unit == nil ? category.fallback : category.handled
        out.append(UInt8(ascii: ","))
        s.appendGridFragment(g, to: &out)
        out.appendText(RouteKeys.unit)
        if let department, let u = unit {
            department.units.append(u, to: &out)
        } else {
            out.appendText("null")
        }
        out.appendText(RouteKeys.staff)
        if let department, let u = unit { appendStaff(department.staff[u], grid: g, near: p, s, to: &out) }
        out.append(UInt8(ascii: "]"))
        out.appendText(RouteKeys.nearBorder)
        if let department, !near.isEmpty {
            out.append(UInt8(ascii: "["))
            for (k, n) in near.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                out.appendText(RouteKeys.nearUnit)
                department.ids.append(n.0, to: &out)
                out.appendText(RouteKeys.nearName)
                JSONValue.appendString(department.layer.units[n.0].name, to: &out)
                out.appendText(RouteKeys.nearDistance)
                JSONValue.appendRounded(n.1, decimals: 1, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        } else {
            out.appendText("null")
        }
        parts.chains.append(g, to: &out)
        if category.hasDepartment {
            out += category.basis
            for (k, u) in covering.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                department?.ids.append(u, to: &out)
            }
            out.append(UInt8(ascii: "]"))
            if let department, let u = unit {
                out.appendText(RouteKeys.basisUnit)
                department.ids.append(u, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        out += s.replyEnding
    }

    /// The unit's staff assigned to grid `g`; when none is, its nearest `nearestStaff` with
    /// distances (ties by resource id, the order the staff come in). No allocation: a unit has a
    /// handful of staff, and the nearest few are kept in place.
    package static func appendStaff(_ staff: [RouteParts.Staff], grid g: Int, near p: Coordinate, _ s: Snapshot,
                            to out: inout [UInt8]) {
        var first = true
        for member in staff where member.grid == g {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            s.resourceHeads.append(member.resource, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        guard first, !staff.isEmpty else { return }
        // A unit has up to a few dozen staff. Rank them first by squared distance at the point's
        // own scale (a multiply each); only those within 2% of the third nearest (the scale
        // differs from the mean latitude's by far less over a district) are measured exactly.
        let scale = Metric.metresPerDegree(atLatitude: p.y)
        // The three smallest (`nearestStaff` is 3), tracked by hand: no allocation.
        var third = Double.infinity, nearest = (Double.infinity, Double.infinity)
        for member in staff {
            let dx = (member.location.x - p.x) * scale.lon, dy = (member.location.y - p.y) * scale.lat
            let d = dx * dx + dy * dy
            if d < nearest.0 { (nearest, third) = ((d, nearest.0), nearest.1) }
            else if d < nearest.1 { (nearest.1, third) = (d, nearest.1) }
            else if d < third { third = d }
        }
        let limit = staff.count <= nearestStaff ? Double.infinity : third * 1.02 * 1.02 + 1
        let local = Metric.Local(p)
        withUnsafeTemporaryAllocation(of: (Int, Double).self, capacity: nearestStaff) { best in
            var kept = 0
            for (k, member) in staff.enumerated() {
                let dx = (member.location.x - p.x) * scale.lon, dy = (member.location.y - p.y) * scale.lat
                guard dx * dx + dy * dy <= limit else { continue }
                let metres = local.distance(to: member.location)
                // Insert after every kept one that is as near (the earlier one wins a tie).
                var at = kept
                while at > 0 && best[at - 1].1 > metres { at -= 1 }
                guard at < nearestStaff else { continue }
                var i = min(kept, nearestStaff - 1)
                while i > at { best[i] = best[i - 1]; i -= 1 }
                best[at] = (k, metres)
                kept = min(kept + 1, nearestStaff)
            }
            for i in 0..<kept {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                s.resourceHeads.append(staff[best[i].0].resource, to: &out)
                out.appendText(RouteKeys.distance)
                JSONValue.appendRounded(best[i].1, decimals: 2, to: &out)
                out.append(UInt8(ascii: "}"))
            }
        }
    }

    /// A moment as China time (UTC+8, what a command centre's clocks show), to the second, as
    /// `2026-12-02T08:00:00+08:00`, written digit by digit (a ROUTE writes two).
    package static func appendChinaTime(_ ms: Int64, to out: inout [UInt8]) {
        let seconds = (ms >= 0 ? ms / 1000 : (ms - 999) / 1000) + 8 * 3600
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let rest = Int(seconds - Int64(days) * 86400)
        let (y, m, d) = civil(days)
        let two = { (v: Int) in (UInt8(ascii: "0") + UInt8(v / 10), UInt8(ascii: "0") + UInt8(v % 10)) }
        let (y0, y1) = two(y / 100 % 100), (y2, y3) = two(y % 100), (m0, m1) = two(m), (d0, d1) = two(d)
        let (h0, h1) = two(rest / 3600), (n0, n1) = two(rest / 60 % 60), (s0, s1) = two(rest % 60)
        let text: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                   UInt8, UInt8, UInt8, UInt8, UInt8) =
            (y0, y1, y2, y3, 0x2D, m0, m1, 0x2D, d0, d1, 0x54, h0, h1, 0x3A, n0, n1, 0x3A, s0, s1)
        withUnsafeBytes(of: text) { out.append(contentsOf: $0) }
        out.appendText("+08:00")
    }

    /// Days since 1970-01-01 as a proleptic Gregorian date (Howard Hinnant's algorithm).
    package static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// The fixed parts of a ROUTE reply.
private enum RouteKeys {
    package static let pointLon: StaticString = #"{"point":{"lon":"#
    package static let pointLat: StaticString = #","lat":"#
    package static let due: StaticString = #"","due_at":""#
    package static let categoryEnd: StaticString = #""}"#
    package static let unit: StaticString = #","unit":"#
    package static let staff: StaticString = #","staff":["#
    package static let nearBorder: StaticString = #","near_border":"#
    package static let nearUnit: StaticString = #"{"unit":"#
    package static let nearName: StaticString = #","name":"#
    package static let nearDistance: StaticString = #","distance_m":"#
    package static let distance: StaticString = #","distance_m":"#
    package static let basisUnit: StaticString = #","unit":"#
}

/// ROUTEADDR: ROUTE at the best candidate for a typed address.
public struct RouteAddressRequest: MapRequest {
    public let address: GeocodeRequest
    public let category: String

    public init(_ text: String, category: String) throws {
        address = try GeocodeRequest(text, limit: 1)
        self.category = category
    }

    public func isQuick(_ map: MapView) -> Bool { map.current.addressLibraryIsReady }

    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        let geocoder = try map.current.geocoder
        guard case .addresses(let found) = try geocoder.geocode(address.text, limit: 1), let best = found.first else {
            throw RequestError("no standard address matches '\(address.text.prefix(60))'", code: .addressNotFound)
        }
        try RouteRequest.write(map.current, best.point, category: category, border: RouteRequest.defaultBorderMetres,
                               receivedMs: Clock.nowMs, to: &out)
        // The address it was routed at, last, before the closing brace.
        out.removeLast()
        let address: JSONValue = ["id": .string(best.addressID), "text": .string(best.text),
                                  "score": JSONValue(best.score)]
        out += Array(",\"address\":\(address.serialized)}".utf8)
    }
}
