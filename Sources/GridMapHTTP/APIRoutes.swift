import Foundation
import GridMapCore
import Hummingbird
import Synchronization

/// The RESP lookups as JSON endpoints (GET, query parameters), with the engine's JSON as the
/// body: `/api/locate?lon=…&lat=…[&crs=…][&asof=…]`, `/api/nearby`, `/api/geocode?q=…`,
/// `/api/reverse`, `/api/grid/ID`, `/api/grids[?street=|community=]`, `/api/neighbours/ID`,
/// `/api/versions[?limit=]`, `/api/area?circle=lon,lat,m|box=minlon,minlat,maxlon,maxlat` (or POST a WKT or
/// GeoJSON geometry), and `/api/layers/NAME` (GeoJSON: streets, communities, grids, outline,
/// resources[?kind=]). Bad parameters are 400, unknown ids 404, each with `{"error": "…"}`.
struct APIRoutes {
    let map: ServedMap
    static let names: Set<String> = ["locate", "nearby", "geocode", "reverse", "grid", "grids", "neighbours",
                                     "versions", "layers", "area", "plan"]
    /// Layers served, kept per version: the grids layer is a megabyte of JSON at Yufeng.
    private let layers = LayerCache()

    func add(to router: Router<GridMapRequestContext>) {
        router.get("/api/locate") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                let (raw, point, crs) = try q.point()
                let snapshot = try await q.version(service)
                var out: [UInt8] = []
                snapshot.writeLocation(grid: snapshot.locate(point), point: point, input: raw, crs: crs, to: &out)
                return Reply.json(out)
            }
        }
        router.get("/api/nearby") { request, context in
            try await map.answer(context) { service in
                let q = Query(request), snapshot = service.current
                let (_, point, _) = try q.point()
                let nearby = try NearbyRequest(kind: q["kind"], radius: try q.number("radius"),
                                               limit: try q.int("limit"), in: snapshot)
                var out: [UInt8] = []
                snapshot.writeNearby(nearby, point: point, to: &out)
                return Reply.json(out)
            }
        }
        router.get("/api/geocode") { request, context in
            try await map.answer(context) { service in
                let q = Query(request), snapshot = service.current
                guard let text = q["q"], !text.isEmpty else { throw RequestError("give the address as q=…") }
                let geocode = try GeocodeRequest(text, limit: try q.int("limit"))
                return Reply.json(try await offLoop { try snapshot.geocodeJSON(geocode) })
            }
        }
        router.get("/api/reverse") { request, context in
            try await map.answer(context) { service in
                let q = Query(request), snapshot = service.current
                let (_, point, _) = try q.point()
                let reverse = try ReverseGeocodeRequest(radius: try q.number("radius"), limit: try q.int("limit"))
                return Reply.json(try await offLoop { try snapshot.reverseGeocodeJSON(point, reverse) })
            }
        }
        router.get("/api/grid/:id") { request, context in
            try await map.answer(context) { service in
                Reply.json(try service.current.gridDetailJSON(id: context.parameters.get("id") ?? ""))
            }
        }
        router.get("/api/grids") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                return Reply.json(try service.current.gridsJSON(street: q["street"], community: q["community"]))
            }
        }
        router.get("/api/neighbours/:id") { request, context in
            try await map.answer(context) { service in
                let snapshot = service.current, id = context.parameters.get("id") ?? ""
                return Reply.json(try await offLoop {
                    try snapshot.neighboursJSON(id: id, context: ThreadResources.current.geos)
                })
            }
        }
        router.get("/api/area") { request, context in
            try await map.answer(context) { service in try await area(Query(request).area(), service.current) }
        }
        router.post("/api/area") { request, context in
            try await map.answer(context) { service in
                let body = try await request.body.collect(upTo: HTTPConfig.maxBodyBytes)
                return try await area(.geometry(String(buffer: body)), service.current)
            }
        }
        router.get("/api/versions") { request, context in
            try await map.answer(context) { service in
                let versions = try VersionsRequest(limit: try Query(request).int("limit"))
                return Reply.json(try await offLoop { try service.versionsJSON(versions) })
            }
        }
        router.get("/api/layers/:name") { request, context in
            try await map.answer(context) { service in
                let snapshot = service.current, q = Query(request)
                var name = context.parameters.get("name") ?? ""
                if name.hasSuffix(".geojson") { name.removeLast(8) }
                return Reply.json(try await layers.layer(name, kind: q["kind"], of: snapshot))
            }
        }
    }

    private func area(_ request: AreaRequest, _ snapshot: Snapshot) async throws -> Response {
        Reply.json(try await offLoop { try snapshot.areaJSON(request, measurer: ThreadResources.current.measurer()) })
    }
}

/// A request's query parameters, read as the RESP skin reads its arguments.
struct Query {
    private let parameters: [String: String]

    init(_ request: Request) {
        var p: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { p[String(k)] = String(v) }
        parameters = p
    }

    subscript(name: String) -> String? { parameters[name] }

    func number(_ name: String) throws -> Double? {
        guard let text = parameters[name] else { return nil }
        guard let v = parseDecimal(text.trimmingCharacters(in: .whitespaces)) else {
            throw RequestError("\(name) '\(text.prefix(40))' is not a number")
        }
        return v
    }

    func int(_ name: String) throws -> Int? {
        guard let text = parameters[name] else { return nil }
        guard let v = Int(text) else { throw RequestError("\(name) '\(text.prefix(40))' is not a whole number") }
        return v
    }

    /// `circle=lon,lat,metres` or `box=minlon,minlat,maxlon,maxlat`.
    func area() throws -> AreaRequest {
        func numbers(_ name: String, _ count: Int) throws -> [Double]? {
            guard let text = parameters[name] else { return nil }
            let v = text.split(separator: ",").compactMap { parseDecimal($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == count else {
                throw RequestError("\(name) takes \(count) numbers, got '\(text.prefix(60))'")
            }
            return v
        }
        if let c = try numbers("circle", 3) { return .circle(Coordinate(c[0], c[1]), metres: c[2]) }
        if let b = try numbers("box", 4) { return .box(BoundingBox(minX: b[0], minY: b[1], maxX: b[2], maxY: b[3])) }
        throw RequestError("give circle=lon,lat,metres or box=minlon,minlat,maxlon,maxlat (or POST a geometry)")
    }

    /// `lon`, `lat` and `crs` (WGS 84 by default): the point as given and in WGS 84.
    func point() throws -> (raw: Coordinate, wgs84: Coordinate, crs: CRS) {
        guard let x = try number("lon") else { throw RequestError("give lon and lat (missing lon)") }
        guard let y = try number("lat") else { throw RequestError("give lon and lat (missing lat)") }
        let crs = try CRS(parsing: parameters["crs"] ?? "wgs84")
        let raw = Coordinate(x, y)
        let p = try CoordinateConverter.toWGS84WithoutPROJ(raw, from: crs)
            ?? ThreadResources.current.converter.toWGS84(raw, from: crs)
        return (raw, p, crs)
    }

    /// The version `asof` names (built off the event loop if it is not at hand), else the live one.
    func version(_ service: MapService) async throws -> Snapshot {
        guard let asof = parameters["asof"] else { return service.current }
        let v = try service.resolve(asOf: asof)
        if let ready = service.cachedSnapshot(version: v) { return ready }
        return try await offLoop { try service.snapshot(version: v) }
    }
}

/// GeoJSON layers, made once per version and kind.
final class LayerCache: Sendable {
    private let cache = Mutex<(version: String, layers: [String: [UInt8]])>(("", [:]))

    func layer(_ name: String, kind: String?, of snapshot: Snapshot) async throws -> [UInt8] {
        let key = name + "/" + (kind ?? "")
        if let hit = cache.withLock({ $0.version == snapshot.version ? $0.layers[key] : nil }) { return hit }
        let bytes = try await offLoop { try snapshot.layerGeoJSON(name, kind: kind) }
        cache.withLock { c in
            if c.version != snapshot.version { c = (snapshot.version, [:]) }
            c.layers[key] = bytes
        }
        return bytes
    }
}
