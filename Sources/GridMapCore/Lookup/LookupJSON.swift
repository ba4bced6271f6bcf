/// The JSON that `gridmap locate` prints and the server's LOCATE returns (one schema,
/// documented in README and docs/PROTOCOL.md).
extension Snapshot {
    /// The answer as JSON text. The part that depends only on the grid (grid, community,
    /// street, workers) is serialized once per snapshot, so a lookup's reply costs a few
    /// string appends rather than building and writing a JSON tree.
    public func locationText(grid g: Int?, point: Coordinate, input: Coordinate? = nil, crs: CRS = .wgs84) -> String {
        var out = "{"
        if let input, crs != .wgs84 {
            out += "\"input\":{\"x\":\(JSONValue.format(input.x)),\"y\":\(JSONValue.format(input.y)),\"crs\":"
            JSONValue.writeString(crs.description, to: &out)
            out += "},"
        }
        out += "\"point\":{\"lon\":\(JSONValue.format(point.x)),\"lat\":\(JSONValue.format(point.y))},"
        out += g.map { gridFragments[$0] } ?? #""grid":null,"community":null,"street":null,"workers":[]"#
        out += ",\"data_version\":\"\(version)\"}"
        return out
    }

    public func locationJSON(grid g: Int?, point: Coordinate, input: Coordinate? = nil, crs: CRS = .wgs84) -> JSONValue {
        // The text is ours and well formed.
        try! JSONParser.parse(locationText(grid: g, point: point, input: input, crs: crs))
    }

    /// `"grid":{…},"community":{…},"street":{…},"workers":[…]` for one grid.
    static func gridFragment(_ grid: Grid, community: Community?, street: Street?, workers: [Resource]) -> String {
        let o: JSONObject = [
            "grid": ["id": .string(grid.id), "name": .string(grid.name), "households": JSONValue(grid.households),
                     "population": JSONValue(grid.population)],
            "community": community.map { ["id": .string($0.id), "name": .string($0.name), "kind": .string($0.kind)] } ?? .null,
            "street": street.map { ["id": .string($0.id), "name": .string($0.name), "kind": .string($0.kind)] } ?? .null,
            "workers": .array(workers.map(Snapshot.resourceJSON)),
        ]
        let text = JSONValue.object(o).serialized
        return String(text.dropFirst().dropLast())
    }

    public func resourceJSON(_ r: Resource) -> JSONValue { Snapshot.resourceJSON(r) }

    static func resourceJSON(_ r: Resource) -> JSONValue {
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
