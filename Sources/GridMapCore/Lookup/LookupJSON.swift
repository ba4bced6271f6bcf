import GridMapGeometry
import GridMapModel
import GridMapStore

/// The JSON that `gridmap locate` prints and the server's LOCATE returns (one schema,
/// documented in README and docs/PROTOCOL.md).
extension Snapshot {
    /// The answer as JSON text.
    public func locationText(grid g: Int?, point: Coordinate, input: Coordinate? = nil, crs: CRS = .wgs84) -> String {
        var out: [UInt8] = []
        writeLocation(grid: g, point: point, input: input, crs: crs, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The answer as UTF-8 JSON appended to `out`. The part that depends only on the grid
    /// (grid, community, street, workers) is serialized once per snapshot, so a lookup's
    /// reply costs a few appends and two number formats; the server reuses `out`, so it
    /// allocates nothing. `more` appends members of the caller's (`,"key":value…`) before
    /// the closing `data_version`.
    public func writeLocation(grid g: Int?, point: Coordinate, input: Coordinate? = nil, crs: CRS = .wgs84,
                              to out: inout [UInt8], more: ((inout [UInt8]) -> Void)? = nil) {
        replies.write(grid: g, point: point, input: input, crs: crs, to: &out, more: more)
    }

    /// `"grid":{…},"community":{…},"street":{…},"workers":[…]` for grid `g`, or all null for
    /// `g == dataset.grids.count` (GEOCODE's candidates carry it too).
    package func appendGridFragment(_ g: Int, to out: inout [UInt8]) {
        out.append(contentsOf: replies.tails[g].dropFirst(2).dropLast(replyEnding.count))
    }

    /// The part of a LOCATE reply after the point, for each grid and (last) for none:
    /// `},"grid":…,"workers":[…],"data_version":"…"}`.
    /// Each grid's tail; one that `previous` holds with the same inputs is copied from it, with
    /// this version's ending.
    package static func locationTails(_ data: Dataset, communityByID: [String: Int], streetByID: [String: Int],
                              workers: [[Int]], ending: [UInt8], previous: Snapshot?) -> PackedBytes {
        let none = Array(#""grid":null,"community":null,"street":null,"workers":[]"#.utf8)
        return PackedBytes(count: data.grids.count + 1) { g in
            guard g < data.grids.count else { return Array("},".utf8) + none + ending }
            let grid = data.grids[g]
            let community = communityByID[grid.communityID].map { data.communities[$0] }
            let street = streetByID[grid.streetID].map { data.streets[$0] }
            let staff = workers[g].map { data.resources[$0] }
            if let p = previous, let pg = p.gridByID[grid.id], p.dataset.grids[pg] == grid,
               p.community(of: pg).map(\.named) == community.map(\.named),
               p.street(of: pg).map(\.named) == street.map(\.named),
               p.workers(of: pg) == staff {
                return Array(p.replies.tails[pg].dropLast(p.replyEnding.count)) + ending
            }
            return Array("},".utf8) + gridFragment(grid, community: community, street: street, workers: staff)
                + ending
        }
    }

    public func locationJSON(grid g: Int?, point: Coordinate, input: Coordinate? = nil, crs: CRS = .wgs84) -> JSONValue
    {
        // The text is ours and well formed.
        try! JSONParser.parse(locationText(grid: g, point: point, input: input, crs: crs))
    }

    /// `"grid":{…},"community":{…},"street":{…},"workers":[…]` for one grid.
    package static func gridFragment(
        _ grid: Grid, community: Community?, street: Street?, workers: [Resource]
    ) -> [UInt8] {
        let o: JSONObject = [
            "grid": [
                "id": .string(grid.id), "name": .string(grid.name), "households": JSONValue(grid.households),
                "population": JSONValue(grid.population),
            ],
            "community": community.map { ["id": .string($0.id), "name": .string($0.name), "kind": .string($0.kind)] }
                ?? .null,
            "street": street.map { ["id": .string($0.id), "name": .string($0.name), "kind": .string($0.kind)] }
                ?? .null,
        ]
        // The workers go last, written as NEARBY writes resources (no JSONValue round trip).
        var out: [UInt8] = []
        JSONValue.appendMembers(o, to: &out)
        out.appendText(#","workers":["#)
        for (k, w) in workers.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            appendResource(w, distance: nil, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    public func resourceJSON(_ r: Resource) -> JSONValue { Snapshot.resourceJSON(r) }

    /// A grid's attributes (no geometry), as GRID, GRIDS and NEIGHBORS give them.
    public func gridJSON(_ g: Int) -> JSONValue {
        let grid = dataset.grids[g]
        return ["id": .string(grid.id), "name": .string(grid.name), "community_id": .string(grid.communityID),
                "street_id": .string(grid.streetID), "households": JSONValue(grid.households),
                "population": JSONValue(grid.population)]
    }

    package static func resourceJSON(_ r: Resource) -> JSONValue {
        var bytes: [UInt8] = []
        appendResource(r, distance: nil, to: &bytes)
        return try! JSONParser.parse(bytes)  // our own, well-formed text
    }

    /// One resource as JSON, written straight into `out`: NEARBY writes a handful per request.
    package static func appendResource(_ r: Resource, distance: Double?, to out: inout [UInt8]) {
        out.appendText(#"{"id":"#)
        JSONValue.appendString(r.id, to: &out)
        out.appendText(#","name":"#)
        JSONValue.appendString(r.name, to: &out)
        out.appendText(#","kind":"#)
        JSONValue.appendString(r.kind, to: &out)
        if let c = r.contact {
            out.appendText(#","contact":"#)
            JSONValue.appendString(c, to: &out)
        }
        out.appendText(#","grid_id":"#)
        if let g = r.locatedGridID { JSONValue.appendString(g, to: &out) } else { out.appendText("null") }
        if let g = r.gridID {
            out.appendText(#","assigned_grid_id":"#)
            JSONValue.appendString(g, to: &out)
        }
        out.appendText(#","lon":"#)
        JSONValue.appendNumber(r.location.x, to: &out)
        out.appendText(#","lat":"#)
        JSONValue.appendNumber(r.location.y, to: &out)
        if let distance {
            out.appendText(#","distance_m":"#)
            JSONValue.appendRounded(distance, decimals: 2, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// A LOCATE reply's parts that depend on the version: each grid's tail (see
/// `Snapshot.locationTails`), and last the tail for no grid. Shared by `Snapshot` and by
/// `PreparedLookup`, which reads them from the store instead of building a snapshot.
package struct LocationReplies: Sendable {
    package let tails: PackedBytes
    /// `,"data_version":"…"}`, how every JSON reply of this version ends.
    package let ending: [UInt8]

    /// The answer as UTF-8 JSON appended to `out`. The part that depends only on the grid is a
    /// copy, so a lookup's reply costs a few appends and two number formats. `more` appends
    /// members of the caller's (`,"key":value…`) before the closing `data_version`.
    package func write(grid g: Int?, point: Coordinate, input: Coordinate?, crs: CRS,
               to out: inout [UInt8], more: ((inout [UInt8]) -> Void)?) {
        if let input, crs != .wgs84 {
            out.appendText(LocationKeys.inputX)
            JSONValue.appendNumber(input.x, to: &out)
            out.appendText(LocationKeys.inputY)
            JSONValue.appendNumber(input.y, to: &out)
            out.appendText(LocationKeys.inputCRS)
            JSONValue.appendString(crs.description, to: &out)
            out.appendText(LocationKeys.inputEnd)
        } else {
            out.appendText(LocationKeys.pointLon)
        }
        JSONValue.appendNumber(point.x, to: &out)
        out.appendText(LocationKeys.pointLat)
        JSONValue.appendNumber(point.y, to: &out)
        guard let more else {
            tails.append(g ?? tails.count - 1, to: &out)
            return
        }
        out.append(contentsOf: tails[g ?? tails.count - 1].dropLast(ending.count))
        more(&out)
        out.append(contentsOf: ending)
    }
}

/// The fixed parts of a LOCATE reply: static strings, so appending one is a copy with no
/// lazy initialization and no reference counting.
private enum LocationKeys {
    package static let inputX: StaticString = #"{"input":{"x":"#
    package static let inputY: StaticString = #","y":"#
    package static let inputCRS: StaticString = #","crs":"#
    package static let inputEnd: StaticString = #"},"point":{"lon":"#
    package static let pointLon: StaticString = #"{"point":{"lon":"#
    package static let pointLat: StaticString = #","lat":"#
}

extension Snapshot {
    /// Nearest resources, with `distance_m`; `radius` limits the search, `limit` the count.
    public func nearbyText(point: Coordinate, kind: String?, radius: Double?, limit: Int) -> String {
        var out: [UInt8] = []
        writeNearby(point: point, kind: kind, radius: radius, limit: limit, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The same answer as UTF-8 JSON appended to `out`. Each resource's attributes were
    /// serialized once per snapshot (`resourceHeads`); a reply adds only the distances.
    public func writeNearby(point: Coordinate, kind: String?, radius: Double?, limit: Int, to out: inout [UInt8]) {
        let hits = resources.nearest(to: point, k: limit, kind: kind, within: radius ?? .infinity)
        out.appendText(LocationKeys.pointLon)
        JSONValue.appendNumber(point.x, to: &out)
        out.appendText(LocationKeys.pointLat)
        JSONValue.appendNumber(point.y, to: &out)
        out.appendText(NearbyKeys.resources)
        for (k, hit) in hits.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            resourceHeads.append(hit.resource, to: &out)
            out.appendText(NearbyKeys.distance)
            JSONValue.appendRounded(hit.distance, decimals: 2, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        out.append(contentsOf: replyEnding)
    }

    /// Every resource's JSON without its closing brace, for NEARBY to finish.
    package static func resourceHeads(_ resources: [Resource]) -> PackedBytes {
        PackedBytes(count: resources.count) { i in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(256)
            appendResource(resources[i], distance: nil, to: &bytes)
            bytes.removeLast()
            return bytes
        }
    }
}

private enum NearbyKeys {
    package static let resources: StaticString = #"},"resources":["#
    package static let distance: StaticString = #","distance_m":"#
}
