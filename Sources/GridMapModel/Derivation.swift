import GridMapGeometry

/// What a version derives instead of reading: the shapes of communities and streets (the
/// unions of their grids) and their grid counts, households and population (sums). Done
/// when a version is built, so a redrawn grid moves its community's and street's boundary.
extension Dataset {
    /// The dataset with community and street shapes and counts derived from the grids; only
    /// those named are recomputed when `communities`/`streets` are given (a publish that
    /// changes a few grids), the others kept as they are.
    public func derivingShapes(communities onlyCommunities: Set<String>? = nil,
                               streets onlyStreets: Set<String>? = nil) throws -> Dataset {
        let geos = ThreadResources.current.geos
        var out = self
        var gridsOf: [String: [Grid]] = [:]
        for g in grids { gridsOf[g.communityID, default: []].append(g) }
        for k in out.communities.indices {
            let id = out.communities[k].id
            if let only = onlyCommunities, !only.contains(id) { continue }
            let members = gridsOf[id] ?? []
            out.communities[k].shape = try Dataset.union(members.map(\.shape), geos)
            out.communities[k].properties = Dataset.counted(out.communities[k].properties, members)
        }
        var communitiesOf: [String: [Community]] = [:]
        for c in out.communities { communitiesOf[c.streetID, default: []].append(c) }
        var streetGrids: [String: [Grid]] = [:]
        for g in grids { streetGrids[g.streetID, default: []].append(g) }
        for k in out.streets.indices {
            let id = out.streets[k].id
            if let only = onlyStreets, !only.contains(id) { continue }
            out.streets[k].shape = try Dataset.union((communitiesOf[id] ?? []).map(\.shape), geos)
            out.streets[k].properties = Dataset.counted(out.streets[k].properties, streetGrids[id] ?? [])
        }
        return out
    }

    /// The union of polygons that tile an area, as a MultiPolygon (empty for none).
    package static func union(_ shapes: [Shape], _ geos: GEOSContext) throws -> Shape {
        let parts = shapes.flatMap(\.polygons)
        guard !parts.isEmpty else { return .multiPolygon([]) }
        let merged = try geos.geometry(.multiPolygon(parts)).coverageUnion().shape()
        switch merged {
        case .polygon(let rings): return .multiPolygon([rings])
        default: return .multiPolygon(merged.polygons)
        }
    }

    private static func counted(_ properties: JSONObject, _ grids: [Grid]) -> JSONObject {
        var p = properties
        p["grid_count"] = JSONValue(grids.count)
        p["households"] = JSONValue(grids.reduce(0) { $0 + $1.households })
        p["population"] = JSONValue(grids.reduce(0) { $0 + $1.population })
        return p
    }
}
