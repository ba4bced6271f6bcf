/// The JSON that `gridmap locate` prints and the server's LOCATE returns (one schema,
/// documented in README and docs/PROTOCOL.md).
extension Snapshot {
    public func locationJSON(grid g: Int?, point: Coordinate, input: Coordinate? = nil, crs: CRS = .wgs84) -> JSONValue {
        var o: JSONObject = [:]
        if let input, crs != .wgs84 {
            o["input"] = ["x": JSONValue(input.x), "y": JSONValue(input.y), "crs": .string(crs.description)]
        }
        o["point"] = ["lon": JSONValue(point.x), "lat": JSONValue(point.y)]
        if let g {
            let grid = dataset.grids[g]
            o["grid"] = ["id": .string(grid.id), "name": .string(grid.name), "households": JSONValue(grid.households),
                         "population": JSONValue(grid.population)]
            o["community"] = community(of: g).map { ["id": .string($0.id), "name": .string($0.name), "kind": .string($0.kind)] } ?? .null
            o["street"] = street(of: g).map { ["id": .string($0.id), "name": .string($0.name), "kind": .string($0.kind)] } ?? .null
            o["workers"] = .array(workers(of: g).map(resourceJSON))
        } else {
            o["grid"] = .null
            o["community"] = .null
            o["street"] = .null
            o["workers"] = []
        }
        o["data_version"] = .string(version)
        return .object(o)
    }

    public func resourceJSON(_ r: Resource) -> JSONValue {
        var o: JSONObject = ["id": .string(r.id), "name": .string(r.name), "kind": .string(r.kind)]
        if let c = r.contact { o["contact"] = .string(c) }
        o["grid_id"] = JSONValue(r.gridID)
        o["lon"] = JSONValue(r.location.x)
        o["lat"] = JSONValue(r.location.y)
        return .object(o)
    }
}

extension Snapshot {
    /// Nearest resources, with `distance_m`; `radius` limits the search, `limit` the count.
    public func nearbyJSON(point: Coordinate, kind: String?, radius: Double?, limit: Int) -> JSONValue {
        let hits = resources.nearest(to: point, k: limit, kind: kind, within: radius ?? .infinity)
        return .object([
            "point": ["lon": JSONValue(point.x), "lat": JSONValue(point.y)],
            "resources": .array(hits.map { hit in
                guard case .object(var o) = resourceJSON(dataset.resources[hit.resource]) else { return .null }
                o["distance_m"] = JSONValue((hit.distance * 100).rounded() / 100)
                return .object(o)
            }),
            "data_version": .string(version),
        ])
    }
}
