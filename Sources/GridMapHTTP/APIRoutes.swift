import Foundation
import GridMapCore
import Hummingbird
import Synchronization
import GridMapPlanning

/// The RESP lookups as JSON endpoints (GET, query parameters), with the engine's JSON as the
/// body: `/api/locate?lon=…&lat=…[&crs=…][&asof=…]`, `/api/nearby`, `/api/geocode?q=…`,
/// `/api/reverse`, `/api/grid/ID`, `/api/grids[?street=|community=]`, `/api/neighbours/ID`,
/// `/api/versions[?limit=]`, `/api/area?circle=lon,lat,m|box=minlon,minlat,maxlon,maxlat` (or POST a WKT or
/// GeoJSON geometry), and `/api/layers/NAME` (GeoJSON: streets, communities, grids, outline,
/// resources[?kind=], units[?department=]). Bad parameters are 400, unknown ids 404, each with `{"error": "…"}`.
struct APIRoutes {
    let map: ServedMap
    static let names: Set<String> = ["locate", "nearby", "geocode", "reverse", "grid", "grids", "neighbours",
                                     "versions", "version", "diff", "layers", "area", "plan", "route", "cases", "stats"]
    /// Layers served, kept per version: the grids layer is a megabyte of JSON at Yufeng.
    private let layers = LayerCache()

    func add(to router: Router<GridMapRequestContext>) {
        router.get("/api/locate") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                return try await respond(try LocateRequest(try q.point(), address: try q.number("address")), service)
            }
        }
        router.get("/api/nearby") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                let nearby = try NearbyRequest(try q.point(), kind: q["kind"], radius: try q.number("radius"),
                                               limit: try q.int("limit"))
                return try await respond(nearby, service)
            }
        }
        router.get("/api/route") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                let category = try Parameter.required(q["category"], "category")
                if let address = q["address"] {
                    return try await respond(try RouteAddressRequest(address, category: category), service)
                }
                return try await respond(try RouteRequest(try q.point(), category: category,
                                                          border: try q.number("border")), service)
            }
        }
        router.get("/api/geocode") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                let text = try Parameter.required(q["q"], "q", "give the address as q=…")
                return try await respond(try GeocodeRequest(text, limit: try q.int("limit")), service)
            }
        }
        router.get("/api/reverse") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                return try await respond(try ReverseRequest(try q.point(), radius: try q.number("radius"),
                                                            limit: try q.int("limit")), service)
            }
        }
        router.get("/api/grid/:id") { request, context in
            try await map.answer(context) { service in
                let id = context.parameters.get("id") ?? ""
                return try await respond(GridRequest(id, asOf: Query(request)["asof"]), service)
            }
        }
        router.get("/api/grids") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                return try await respond(try GridsRequest(street: q["street"], community: q["community"],
                                                          asOf: q["asof"]), service)
            }
        }
        router.get("/api/neighbours/:id") { request, context in
            try await map.answer(context) { service in
                try await respond(NeighboursRequest(context.parameters.get("id") ?? "", asOf: Query(request)["asof"]),
                                  service)
            }
        }
        router.get("/api/area") { request, context in
            try await map.answer(context) { service in try await respond(try Query(request).area(), service) }
        }
        router.post("/api/area") { request, context in
            try await map.answer(context) { service in
                let body = try await request.body.collect(upTo: HTTPConfig.maxBodyBytes)
                return try await respond(AreaRequest.geometry(String(buffer: body)), service)
            }
        }
        // The pages' words for every refusal code (and the validation rules'), served from the
        // one place the engine declares them.
        router.get("/api/texts") { _, _ in Reply.json(Array(PlannerTexts.json.serialized.utf8)) }
        router.get("/api/versions") { request, context in
            try await map.answer(context) { service in
                try await respond(try VersionsRequest(limit: try Query(request).int("limit")), service)
            }
        }
        router.get("/api/version/:id") { request, context in
            try await map.answer(context) { service in
                try await respond(VersionRequest(context.parameters.get("id") ?? ""), service)
            }
        }
        router.get("/api/diff") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                return try await respond(DiffRequest(from: try Parameter.required(q["from"], "from"),
                                                     to: try Parameter.required(q["to"], "to")), service)
            }
        }
        router.get("/api/layers/:name") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                // `asof`: the layer as it was then (the planner's date control, the history view).
                let view = MapView(service)
                let snapshot = view.isAtHand(asOf: q["asof"]) ? try view.snapshot(asOf: q["asof"])
                    : try await offLoop { try view.snapshot(asOf: q["asof"]) }
                var name = context.parameters.get("name") ?? ""
                if name.hasSuffix(".geojson") { name.removeLast(8) }
                // `kind` picks resources of one kind, `department` units of one department.
                let filter = name == "units" ? q["department"] : q["kind"]
                return Reply.json(try await layers.layer(name, kind: filter, of: snapshot,
                                                          keep: snapshot.version == service.current.version))
            }
        }
    }
}

/// The engine's answer to `request` as the reply: on this task when it is quick, else on the
/// thread pool.
func respond(_ request: some MapRequest, _ service: MapService) async throws -> Response {
    let map = MapView(service)
    if request.isQuick(map) { return Reply.json(try request.answer(map)) }
    return Reply.json(try await offLoop { try request.answer(map) })
}

/// A request's query parameters, read as every skin reads its parameters (`Parameter`).
struct Query {
    private let parameters: [String: String]

    init(_ request: Request) {
        var p: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { p[String(k)] = String(v) }
        parameters = p
    }

    subscript(name: String) -> String? { parameters[name] }

    func number(_ name: String) throws -> Double? { try parameters[name].map { try Parameter.number($0, name) } }

    func int(_ name: String) throws -> Int? { try parameters[name].map { try Parameter.integer($0, name) } }

    /// `circle=lon,lat,metres` or `box=minlon,minlat,maxlon,maxlat`.
    func area() throws -> AreaRequest {
        if let c = parameters["circle"] { return try .circle(c) }
        if let b = parameters["box"] { return try .box(b) }
        throw RequestError("give circle=lon,lat,metres or box=minlon,minlat,maxlon,maxlat (or POST a geometry)",
                           code: .missing)
    }

    /// `lon`, `lat`, `crs` (WGS 84 by default) and `asof`.
    func point() throws -> PointQuery {
        try PointQuery(lon: parameters["lon"], lat: parameters["lat"], crs: parameters["crs"], asOf: parameters["asof"])
    }
}

/// GeoJSON layers, made once per version and kind.
final class LayerCache: Sendable {
    private let cache = Mutex<(version: String, layers: [String: [UInt8]])>(("", [:]))

    func layer(_ name: String, kind: String?, of snapshot: Snapshot, keep: Bool = true) async throws -> [UInt8] {
        let key = name + "/" + (kind ?? "")
        if let hit = cache.withLock({ $0.version == snapshot.version ? $0.layers[key] : nil }) { return hit }
        let bytes = try await offLoop { try snapshot.layerGeoJSON(name, kind: kind) }
        // Only the served version's layers are kept: an as-of view must not evict them.
        guard keep else { return bytes }
        cache.withLock { c in
            if c.version != snapshot.version { c = (snapshot.version, [:]) }
            c.layers[key] = bytes
        }
        return bytes
    }
}
