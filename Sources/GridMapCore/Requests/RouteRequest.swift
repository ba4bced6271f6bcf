import Foundation

/// ROUTE: for a report at a point in a category, whoever must handle it there — the grid and
/// its workers, the department's unit responsible at that point (the lowest id among its units'
/// closed areas that cover it, the grids' rule) with its duty phone and its staff for this
/// grid, the 属地 chain (grid worker, community, street) that takes it when no unit is
/// responsible, the time limit and when it falls due, and the basis of the answer, so that a
/// disputed route (属地不符, 权属不清) can be traced.
public struct RouteRequest: MapRequest {
    /// A point this close to another unit of the same department is flagged `near_border`.
    public static let defaultBorderMetres = 15.0
    public static let maxBorderMetres = 500.0
    /// How many of a unit's staff are named when none is assigned to the grid.
    static let nearestStaff = 3

    public let point: PointQuery
    public let category: String
    public let borderMetres: Double
    /// When the report came in (the due time counts from it); now by default.
    public let receivedMs: Int64?

    public init(_ point: PointQuery, category: String, border: Double? = nil, receivedMs: Int64? = nil) throws {
        let border = border ?? Self.defaultBorderMetres
        guard (0...Self.maxBorderMetres).contains(border) else {
            throw RequestError("border must be 0 to \(Int(Self.maxBorderMetres)) metres", code: "out_of_range")
        }
        (self.point, self.category, borderMetres, self.receivedMs) = (point, category, border, receivedMs)
    }

    public func isQuick(_ map: MapView) -> Bool { point.isQuick(map) }

    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        let snapshot = try point.snapshot(map)
        let p = try point.wgs84()
        try Self.write(snapshot, p, category: category, border: borderMetres,
                       receivedMs: receivedMs ?? MapStore.nowMs, to: &out)
    }

    /// The route as JSON (see the type's comment; docs/PROTOCOL.md, ROUTE), parsed: for tests.
    static func route(_ s: Snapshot, _ p: Coordinate, category code: String, border: Double, receivedMs: Int64) throws
        -> JSONValue
    {
        var out: [UInt8] = []
        try write(s, p, category: code, border: border, receivedMs: receivedMs, to: &out)
        return try JSONParser.parse(out)
    }

    /// The route as UTF-8 JSON appended to `out`: resources written straight as bytes (as
    /// NEARBY writes them), the small parts through `JSONValue`.
    static func write(_ s: Snapshot, _ p: Coordinate, category code: String, border: Double, receivedMs: Int64,
                      to out: inout [UInt8]) throws {
        guard let network = s.network else {
            throw RequestError("this map has no departments, units or categories (departments.csv, units.geojson, "
                               + "categories.csv): nothing can be routed", code: "no_network", kind: .notFound)
        }
        guard let category = network.categories[code] else {
            throw RequestError("unknown category '\(code.prefix(40))'; the catalogue is at /open311/v2/services.json",
                               code: "unknown_category", kind: .notFound)
        }
        guard let g = s.locate(p) else {
            throw RequestError("the point (\(JSONValue.format(p.x)) \(JSONValue.format(p.y))) is outside the district",
                               code: "outside_district")
        }
        let grid = s.dataset.grids[g]
        let community = s.communityByID[grid.communityID].map { s.dataset.communities[$0] }
        let street = s.streetByID[grid.streetID].map { s.dataset.streets[$0] }
        let workers = s.workers(of: g)
        var basis: JSONObject = [
            "data_version": .string(s.version), "grid": .string(grid.id),
            "rule": "closed areas; among those covering the point, the lowest id",
        ]
        var handledBy = category.handler.rawValue
        var fallback: JSONValue = .null
        var unit: ResponsibilityUnit?
        var near: [(unit: ResponsibilityUnit, metres: Double)] = []
        if let department = category.departmentID {
            let found = network.units(at: p, department: department)
            basis["department"] = .string(department)
            basis["covering_units"] = .array(found.covering.map { .string($0) })
            unit = found.unit
            if let u = found.unit {
                basis["unit"] = .string(u.id)
                near = network.unitsNear(p, department: department, within: border, except: u.id)
            } else {
                // No unit of the department covers the point: the 属地 takes it, and says why.
                handledBy = "grid_worker"
                fallback = .string("no unit of \(department) covers this point: the 属地 (grid worker, community, "
                                   + "street) takes it")
            }
        }
        let dueMs = receivedMs + Int64(category.timeLimitHours) * 3_600_000
        func key(_ name: String) { raw(",\"\(name)\":") }
        func raw(_ text: String) { out += Array(text.utf8) }
        out.appendText(#"{"point":{"lon":"#)
        JSONValue.appendNumber(p.x, to: &out)
        out.appendText(#","lat":"#)
        JSONValue.appendNumber(p.y, to: &out)
        out.appendText("}")
        key("category")
        let categoryJSON: JSONValue = [
            "code": .string(category.code), "name": .string(category.name), "group": .string(category.group),
            "department": JSONValue(category.departmentID), "handler": .string(category.handler.rawValue),
            "time_limit_hours": JSONValue(category.timeLimitHours),
            "received_at": .string(chinaTime(receivedMs)), "due_at": .string(chinaTime(dueMs)),
        ]
        raw(categoryJSON.serialized)
        key("handled_by")
        JSONValue.appendString(handledBy, to: &out)
        key("fallback")
        raw(fallback.serialized)
        key("grid")
        raw(s.gridJSON(g).serialized)
        key("workers")
        appendList(workers.map { ($0, nil) }, to: &out)
        key("unit")
        raw(unit.map { unitJSON($0, network).serialized } ?? "null")
        key("staff")
        appendList(unit.map { staff(of: $0, grid: grid.id, near: p, s, network) } ?? [], to: &out)
        key("near_border")
        let nearJSON: JSONValue = near.isEmpty ? .null : .array(near.map { n in
            ["unit": .string(n.unit.id), "name": .string(n.unit.name),
             "distance_m": JSONValue((n.metres * 10).rounded() / 10)]
        })
        raw(nearJSON.serialized)
        // 属地兜底: the grid worker, then the community, then the street.
        var chain: [JSONValue] = workers.map { w in
            ["level": "grid_worker", "id": .string(w.id), "name": .string(w.name), "contact": JSONValue(w.contact)]
        }
        if let community {
            chain.append(["level": "community", "id": .string(community.id), "name": .string(community.name)])
        }
        if let street { chain.append(["level": "street", "id": .string(street.id), "name": .string(street.name)]) }
        key("chain")
        raw(JSONValue.array(chain).serialized)
        key("basis")
        raw(JSONValue.object(basis).serialized)
        key("data_version")
        JSONValue.appendString(s.version, to: &out)
        out.appendText("}")
    }

    /// Resources as a JSON array, each with its distance when it has one.
    static func appendList(_ items: [(Resource, Double?)], to out: inout [UInt8]) {
        out.appendText("[")
        for (k, item) in items.enumerated() {
            if k > 0 { out.appendText(",") }
            Snapshot.appendResource(item.0, distance: item.1, to: &out)
        }
        out.appendText("]")
    }

    static func unitJSON(_ u: ResponsibilityUnit, _ network: ServiceNetwork) -> JSONValue {
        ["id": .string(u.id), "name": .string(u.name), "department": .string(u.departmentID),
         "department_name": JSONValue(network.departments[u.departmentID]?.name), "duty_phone": .string(u.dutyPhone)]
    }

    /// The unit's staff assigned to the grid; when none is, its nearest staff with distances.
    static func staff(of unit: ResponsibilityUnit, grid: String, near p: Coordinate, _ s: Snapshot,
                      _ network: ServiceNetwork) -> [(Resource, Double?)] {
        let all = (network.staff[unit.id] ?? []).map { s.dataset.resources[$0] }
        let here = all.filter { $0.gridID == grid }.sorted { $0.id < $1.id }
        if !here.isEmpty { return here.map { ($0, nil) } }
        let local = Metric.Local(p)
        let measured: [(resource: Resource, metres: Double)] = all.map { ($0, local.distance(to: $0.location)) }
        return measured.sorted {
            $0.metres < $1.metres || ($0.metres == $1.metres && $0.resource.id < $1.resource.id)
        }.prefix(nearestStaff).map { ($0.resource, Optional($0.metres)) }
    }

    /// A moment as China time (UTC+8, what a command centre's clocks show), to the second.
    static func chinaTime(_ ms: Int64) -> String {
        let seconds = ms / 1000 + 8 * 3600
        let days = Int(seconds / 86400), rest = Int(seconds % 86400)
        let (y, m, d) = civil(days)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, m, d, rest / 3600, rest / 60 % 60, rest % 60)
    }

    /// Days since 1970-01-01 as a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func civil(_ z0: Int) -> (Int, Int, Int) {
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
            throw RequestError("no standard address matches '\(address.text.prefix(60))'", code: "address_not_found",
                               kind: .notFound)
        }
        try RouteRequest.write(map.current, best.point, category: category, border: RouteRequest.defaultBorderMetres,
                               receivedMs: MapStore.nowMs, to: &out)
        // The address it was routed at, last, before the closing brace.
        out.removeLast()
        let address: JSONValue = ["id": .string(best.addressID), "text": .string(best.text),
                                  "score": JSONValue(best.score)]
        out += Array(",\"address\":\(address.serialized)}".utf8)
    }
}
