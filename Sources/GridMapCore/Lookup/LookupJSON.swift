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
        var text = ""
        appendResource(r, distance: nil, to: &text)
        return try! JSONParser.parse(text)  // our own, well-formed text
    }

    /// One resource as JSON, written straight into `out`: NEARBY writes a handful per request.
    static func appendResource(_ r: Resource, distance: Double?, to out: inout String) {
        out += "{\"id\":"
        JSONValue.writeString(r.id, to: &out)
        out += ",\"name\":"
        JSONValue.writeString(r.name, to: &out)
        out += ",\"kind\":"
        JSONValue.writeString(r.kind, to: &out)
        if let c = r.contact {
            out += ",\"contact\":"
            JSONValue.writeString(c, to: &out)
        }
        out += ",\"grid_id\":"
        if let g = r.gridID { JSONValue.writeString(g, to: &out) } else { out += "null" }
        out += ",\"lon\":"
        out += JSONValue.format(r.location.x)
        out += ",\"lat\":"
        out += JSONValue.format(r.location.y)
        if let distance {
            out += ",\"distance_m\":"
            out += JSONValue.format((distance * 100).rounded() / 100)
        }
        out += "}"
    }
}

extension Snapshot {
    /// Nearest resources, with `distance_m`; `radius` limits the search, `limit` the count.
    public func nearbyText(point: Coordinate, kind: String?, radius: Double?, limit: Int) -> String {
        let hits = resources.nearest(to: point, k: limit, kind: kind, within: radius ?? .infinity)
        var out = "{\"point\":{\"lon\":"
        out.reserveCapacity(1024)
        out += JSONValue.format(point.x)
        out += ",\"lat\":"
        out += JSONValue.format(point.y)
        out += "},\"resources\":["
        for (k, hit) in hits.enumerated() {
            if k > 0 { out += "," }
            Snapshot.appendResource(dataset.resources[hit.resource], distance: hit.distance, to: &out)
        }
        out += "],\"data_version\":\"" + version + "\"}"
        return out
    }
}
