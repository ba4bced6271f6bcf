import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// What the planner's page reads of a draft besides its impact: the grids it changed, as they
/// now stand, and one grid's card (its fields, its staff in the draft, where it could move).
extension Planner {
    /// The draft's changed grids as GeoJSON (with every property) and the ids it removed, so
    /// that a page draws the draft as the base with these in place.
    public func changedGrids(draft id: Int) throws -> JSONValue {
        let (_, map, _) = try load(id, codes: false)
        var features: [JSONValue] = [], removed: [JSONValue] = []
        for gid in map.changedGrids {
            guard let g = map.grids[gid] else { removed.append(.string(gid)); continue }
            features.append(["type": "Feature", "id": .string(g.id), "properties": .object(g.properties),
                             "geometry": GeoJSON.json(g.shape)])
        }
        return ["draft": JSONValue(id), "grids": ["type": "FeatureCollection", "features": .array(features)],
                "removed": .array(removed)]
    }

    /// One grid of the draft as its card shows it: the fields a planner sets, its staff, its
    /// community and the communities it borders (where `move_community` may take it).
    public func gridCard(draft id: Int, grid gid: String) throws -> JSONValue {
        let (_, map, _) = try load(id, codes: false)
        let g = try map.grid(gid)
        let geos = ThreadResources.current.geos
        var bordering = Set<String>()
        for n in try map.neighbours(of: [gid], geos) {
            if let h = map.grids[n], h.communityID != g.communityID { bordering.insert(h.communityID) }
        }
        func community(_ cid: String) -> JSONValue {
            ["id": .string(cid), "name": .string(map.communities[cid]?.name ?? cid)]
        }
        let staff = map.staff(of: gid).map { r -> JSONValue in
            ["id": .string(r.id), "name": .string(r.name), "kind": .string(r.kind),
             "contact": r.contact.map { .string($0) } ?? .null]
        }
        return ["draft": JSONValue(id), "id": .string(g.id), "name": .string(g.name),
                "households": JSONValue(g.households), "population": JSONValue(g.population),
                "community": community(g.communityID), "street": .string(g.streetID),
                "changed": .bool(map.changedGrids.contains(gid)), "staff": .array(staff),
                "bordering_communities": .array(bordering.sorted().map(community))]
    }
}
