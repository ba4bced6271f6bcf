import GridMapGeometry
import GridMapModel
import GridMapStore

/// An id the version does not have: RESP answers `ERR unknown …`, HTTP 404.
public struct UnknownID: KindedError, Sendable {
    public let what: String, id: String
    public init(what: String, id: String) { self.what = what; self.id = id }
    public var kind: ErrorKind { .notFound }
    public var code: String { "unknown_\(what)" }
    public var message: String { "unknown \(what) '\(id.prefix(40))'" }
}

/// The answers about grids that every skin gives (GRID, GRIDS, NEIGHBORS; /api/grid, …), as
/// JSON, so RESP and HTTP say the same thing the same way.
extension Snapshot {
    /// One grid's attributes and geometry.
    public func gridDetailJSON(id: String) throws -> JSONValue {
        guard let g = grid(id: id) else { throw UnknownID(what: "grid", id: id) }
        guard case .object(var o) = gridJSON(g) else { return .null }
        o["geometry"] = GeoJSON.json(dataset.grids[g].shape)
        o["data_version"] = .string(version)
        return .object(o)
    }

    /// Every grid, or those of one street or community.
    public func gridsJSON(street: String? = nil, community: String? = nil) throws -> JSONValue {
        var list = Array(dataset.grids.indices)
        if let street {
            guard hasStreet(street) else { throw UnknownID(what: "street", id: street) }
            list = grids(inStreet: street)
        } else if let community {
            guard hasCommunity(community) else { throw UnknownID(what: "community", id: community) }
            list = grids(inCommunity: community)
        }
        return ["grids": .array(list.map(gridJSON)), "data_version": .string(version)]
    }

    /// The grids sharing a stretch of boundary with a grid, with their workers (GEOS overlays:
    /// milliseconds, so callers run it off their event loops).
    public func neighboursJSON(id: String, context: GEOSContext) throws -> JSONValue {
        guard let g = grid(id: id) else { throw UnknownID(what: "grid", id: id) }
        let list = try neighbours(of: g, context: context)
        return ["grid": .string(id), "neighbors": .array(list.map { h in
            guard case .object(var o) = gridJSON(h) else { return .null }
            o["workers"] = .array(workers(of: h).map(resourceJSON))
            return .object(o)
        }), "data_version": .string(version)]
    }

    /// A layer of this version as a GeoJSON FeatureCollection (what a map draws): `streets`,
    /// `communities`, `grids`, `outline`, `resources` (of one kind if given) or `units` (of the
    /// department `kind` names, if given).
    public func layerGeoJSON(_ layer: String, kind: String? = nil) throws -> [UInt8] {
        var features: [JSONValue] = []
        func feature(_ id: String, _ properties: JSONObject, _ geometry: JSONValue) -> JSONValue {
            ["type": "Feature", "id": .string(id), "properties": .object(properties), "geometry": geometry]
        }
        switch layer {
        case "streets":
            features = dataset.streets.map {
                feature($0.id, ["id": .string($0.id), "name": .string($0.name), "kind": .string($0.kind)],
                        GeoJSON.json($0.shape))
            }
        case "communities":
            features = dataset.communities.map {
                feature($0.id, ["id": .string($0.id), "name": .string($0.name), "kind": .string($0.kind),
                                "street_id": .string($0.streetID)], GeoJSON.json($0.shape))
            }
        case "grids":
            features = dataset.grids.indices.map { g in
                let grid = dataset.grids[g]
                guard case .object(let o) = gridJSON(g) else { return .null }
                return feature(grid.id, o, GeoJSON.json(grid.shape))
            }
        case "outline":
            features = [feature(dataset.districtID, ["id": .string(dataset.districtID),
                                                     "name": .string(dataset.districtName)],
                                GeoJSON.json(dataset.outline))]
        case "resources":
            features = dataset.resources.filter { kind == nil || $0.kind == kind }.map { r in
                guard case .object(let o) = resourceJSON(r) else { return .null }
                return feature(r.id, o, ["type": "Point", "coordinates": [JSONValue(r.location.x),
                                                                          JSONValue(r.location.y)]])
            }
        case "units":
            // One network's areas, of one department when `kind` names it (the page's toggles).
            let departments = departmentUnits?.departments ?? [:]
            features = dataset.units.filter { kind == nil || $0.departmentID == kind }.map { u in
                feature(u.id, ["id": .string(u.id), "name": .string(u.name), "department": .string(u.departmentID),
                               "department_name": JSONValue(departments[u.departmentID]?.name),
                               "duty_phone": .string(u.dutyPhone)], GeoJSON.json(u.shape))
            }
        default:
            throw UnknownID(what: "layer", id: layer)
        }
        var out: [UInt8] = []
        let collection: JSONValue = ["type": "FeatureCollection", "features": .array(features),
                                     "data_version": .string(version)]
        out.append(contentsOf: collection.serialized.utf8)
        return out
    }
}
