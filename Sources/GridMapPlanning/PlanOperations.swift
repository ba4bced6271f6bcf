import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// What an operation needs besides the map: the codes ever used, and the base's addresses in
/// a box (new grids' figures follow them, see `Succession`): the store's spatial query, so an
/// operation reads the addresses near the grids it redraws, not all of them.
public struct PlanContext {
    public var codes: GridCodes
    public var addresses: (BoundingBox) throws -> [Coordinate]
    /// A redrawn grid part smaller than this (m²) is refused as a sliver: validation's limit.
    public var minimumArea: Double
    public init(codes: GridCodes, addresses: @escaping (BoundingBox) throws -> [Coordinate],
                minimumArea: Double = ValidationRules().sliverArea) {
        self.codes = codes
        self.addresses = addresses
        self.minimumArea = minimumArea
    }

    /// With the addresses as a list (tests, a dataset in memory).
    public init(codes: GridCodes, addresses list: [Coordinate], minimumArea: Double = ValidationRules().sliverArea) {
        self.init(codes: codes, addresses: { box in list.filter { box.contains($0) } }, minimumArea: minimumArea)
    }
}

extension PlanMap {
    /// Applies `op` and answers what it did (grids created, retired and changed, staff
    /// reassigned). Throws a `PlanError` and leaves the map unchanged when the operation is
    /// not possible.
    public mutating func apply(_ op: PlanOperation, context: PlanContext) throws -> JSONObject {
        var copy = self
        let result: JSONObject
        switch op {
        case .split(let grid, let line): result = try copy.split(grid, line: line, context: context)
        case .merge(let ids): result = try copy.merge(ids, context: context)
        case .moveBoundary(let a, let b, let line): result = try copy.moveBoundary(a, b, line: line, context: context)
        case .transfer(let area, let sources, let target):
            result = try copy.transfer(area, from: sources, to: target, context: context)
        case .moveToCommunity(let grid, let community): result = try copy.move(grid, to: community, context: context)
        case .setAttribute(let grid, let field, let value): result = try copy.set(field, of: grid, to: value)
        case .assign(let resource, let grid): result = try copy.assign(resource, to: grid)
        case .replaceGrids(let features, let source): result = try copy.replaceGrids(features, source: source)
        case .replaceUnits(let features, let source): result = try copy.replaceUnits(features, source: source)
        }
        self = copy
        return result
    }

    // MARK: Geometry of the grids involved

    func geometries(_ ids: [String], _ geos: GEOSContext) throws -> [String: Geometry] {
        Dictionary(uniqueKeysWithValues: try ids.map { ($0, try geos.geometry(try grid($0).shape)) })
    }

    /// Grids other than `ids` that touch any of them.
    func neighbours(of ids: [String], _ geos: GEOSContext) throws -> [String] {
        var out = Set<String>()
        for id in ids {
            let g = try grid(id)
            guard var box = g.shape.bounds else { continue }
            box.minX -= 1e-9
            box.minY -= 1e-9
            box.maxX += 1e-9
            box.maxY += 1e-9
            let geometry = try geos.geometry(g.shape)
            for c in grids(near: box) where !ids.contains(c) && !out.contains(c) {
                if try geometry.intersects(try geos.geometry(grids[c]!.shape)) { out.insert(c) }
            }
        }
        return out.sorted()
    }

    /// Whether two grids share a stretch of boundary (not just a point).
    func adjacent(_ a: Geometry, _ b: Geometry) throws -> Bool { try a.relate(b, pattern: "****1****") }

    static func area(_ g: Geometry) throws -> Double { try ThreadResources.current.measurer().area(g) }

    static func fixed(_ x: Double, _ places: Int) -> String { String(format: "%.\(places)f", x) }

    static func at(_ g: Geometry) -> String {
        guard let c = try? g.pointOnSurface().coordinate() else { return "" }
        return " near (\(PlanMap.fixed(c.x, 6)) \(PlanMap.fixed(c.y, 6)))"
    }

    // MARK: Operations

    mutating func split(_ id: String, line: Shape, context: PlanContext) throws -> JSONObject {
        let g = try grid(id)
        switch line.simplestLine {
        case .lineString, .multiLineString: return try splitChecked(g, line: line, context: context)
        default:
            throw PlanError(.badLine, "a split line must be a LineString or MultiLineString, not \(line.typeName)")
        }
    }

    private mutating func splitChecked(_ g: Grid, line: Shape, context: PlanContext) throws -> JSONObject {
        // Each part of a multipart grid would become a grid of its own, cut or not.
        guard g.shape.polygons.count == 1 else {
            throw PlanError(
                .multipartGrid,
                "grid \(g.id) has \(g.shape.polygons.count) separate parts: hand the parts to their neighbours "
                    + "(transfer) before splitting it", ids: [g.id])
        }
        let editor = CoverageEditor()
        let geos = editor.geos
        // Clipped a hair (1e-9°, 0.1 mm) beyond the grid, so that the cut crosses its boundary
        // rather than ending a rounding error short of it; what is left outside is a dangle,
        // which building faces drops.
        let cut = try geos.geometry(line).intersection(try geos.geometry(g.shape).buffer(1e-9, quadrantSegments: 1))
        guard try cut.length() > 0 else {
            throw PlanError(.notCrossing, "the line does not cross grid \(g.id)", ids: [g.id])
        }
        let memberIDs = [g.id] + (try neighbours(of: [g.id], geos))
        let faces = try editor.faces(of: try geometries(memberIDs, geos), cutBy: [cut])
        var pieces: [(face: ObjectIdentifier, at: Coordinate)] = []
        for f in faces where f.owner == g.id {
            pieces.append((ObjectIdentifier(f.geometry), try f.inside.coordinate()))
        }
        guard pieces.count >= 2 else {
            throw PlanError(
                .notCrossing,
                "the line does not cut grid \(g.id) apart: it must cross the grid from "
                    + "boundary to boundary, or close a loop inside it", ids: [g.id])
        }
        // New numbers run north to south, then west to east, as grid maps are read.
        pieces.sort { ($1.at.y, $0.at.x) < ($0.at.y, $1.at.x) }
        let codes = try context.codes.next(in: g.communityID, count: pieces.count, map: self)
        var code: [ObjectIdentifier: String] = [:]
        for (k, p) in pieces.enumerated() { code[p.face] = codes[k] }
        let after = try editor.assemble(
            faces, newOwner: { code[ObjectIdentifier($0.geometry)] ?? $0.owner },
            before: Dictionary(uniqueKeysWithValues: memberIDs.map { ($0, grids[$0]!.shape) }))
        let community = communities[g.communityID]
        var templates: [String: Grid] = [:]
        for c in codes {
            templates[c] = try g.updating([
                "id": .string(c),
                "name": .string(
                    community.map {
                        GridCodes.name(of: c, community: $0)
                    } ?? c),
            ])
        }
        return try redraw(memberIDs, after: after, templates: templates, context: context)
    }

    mutating func merge(_ ids: [String], context: PlanContext) throws -> JSONObject {
        let unique = Array(Set(ids)).sorted()
        guard unique.count >= 2 else { throw PlanError(.badMerge, "name two or more different grids to merge") }
        let gs = try unique.map(grid)
        if let other = gs.first(where: { $0.communityID != gs[0].communityID }) {
            throw PlanError(
                .notSameCommunity,
                "grids \(gs[0].id) (community \(gs[0].communityID)) and \(other.id) "
                    + "(community \(other.communityID)) are in different communities: move one first",
                ids: [gs[0].id, other.id])
        }
        let geos = ThreadResources.current.geos
        let shapes = try geometries(unique, geos)
        var reached: Set<String> = [unique[0]]
        var queue = [unique[0]]
        while let a = queue.popLast() {
            for b in unique where try !reached.contains(b) && adjacent(shapes[a]!, shapes[b]!) {
                reached.insert(b)
                queue.append(b)
            }
        }
        let apart = unique.filter { !reached.contains($0) }
        guard apart.isEmpty else {
            throw PlanError(
                .notAdjacent,
                "grid \(apart.joined(separator: ", ")) shares no boundary with the "
                    + "other grids of the merge", ids: apart)
        }
        let merged = try geos.geometry(.multiPolygon(gs.flatMap(\.shape.polygons))).coverageUnion().shape()
        return try redraw(
            unique, after: [unique[0]: merged.orientedForGeoJSON.simplestPolygonal], templates: [:],
            context: context)
    }

    mutating func moveBoundary(_ a: String, _ b: String, line: Shape, context: PlanContext) throws -> JSONObject {
        guard a != b else { throw PlanError(.badBoundary, "name two different grids") }
        guard case .lineString(var cs) = line.simplestLine, cs.count >= 2 else {
            throw PlanError(.badLine, "a new boundary must be one LineString, not \(line.typeName)")
        }
        let editor = CoverageEditor()
        let geos = editor.geos
        let shapes = try geometries([a, b], geos)
        let shared = try shapes[a]!.boundary().intersection(try shapes[b]!.boundary()).shape().lineParts
        guard !shared.isEmpty else {
            throw PlanError(.notAdjacent, "grids \(a) and \(b) share no boundary", ids: [a, b])
        }
        let stretches = try geos.geometry(.multiLineString(shared)).lineMerge().shape().lineParts
        let tolerance = 1.0  // metres: a planner's click on the end of a boundary
        func near(_ p: Coordinate, _ q: Coordinate) -> Bool { Metric.distance(p, q) <= tolerance }
        guard
            let stretch = stretches.first(where: {
                (near($0.first!, cs.first!) && near($0.last!, cs.last!))
                    || (near($0.last!, cs.first!) && near($0.first!, cs.last!))
            })
        else {
            let ends = stretches.map { "(\($0.first!.x) \($0.first!.y))–(\($0.last!.x) \($0.last!.y))" }
            throw PlanError(
                .wrongEnds,
                "the new boundary must start and end where the boundary between \(a) and "
                    + "\(b) does, within \(Int(tolerance)) m: \(ends.joined(separator: " or "))", ids: [a, b])
        }
        let forward = near(stretch.first!, cs.first!) && near(stretch.last!, cs.last!)
        cs[0] = forward ? stretch.first! : stretch.last!
        cs[cs.count - 1] = forward ? stretch.last! : stretch.first!
        let newLine = try geos.geometry(.lineString(cs))
        guard newLine.isSimple else { throw PlanError(.badLine, "the new boundary crosses itself", ids: [a, b]) }
        let union = try geos.geometry(.multiPolygon(try grid(a).shape.polygons + grid(b).shape.polygons))
            .coverageUnion()
        guard try newLine.relate(union, pattern: "*FF******") else {
            throw PlanError(
                .leavesGrids,
                "the new boundary must run inside grids \(a) and \(b), touching their "
                    + "outer boundary only at its two ends", ids: [a, b])
        }
        let between = try geos.polygonize(
            try geos.collection([try geos.geometry(.lineString(stretch)), newLine])
                .nodedLines())
        guard !between.isEmpty else {
            throw PlanError(.noChange, "the new line is the boundary between \(a) and \(b) already", ids: [a, b])
        }
        let faces = try editor.faces(of: shapes, cutBy: [newLine])
        let after = try editor.assemble(
            faces,
            newOwner: { f in
                let moves = try between.contains { try $0.intersects(f.inside) }
                return moves ? (f.owner == a ? b : a) : f.owner
            }, before: [a: try grid(a).shape, b: try grid(b).shape])
        for id in [a, b] {
            guard let s = after[id] else {
                throw PlanError(.emptiesGrid, "the new boundary leaves nothing of grid \(id)", ids: [id])
            }
            if s.polygons.count > grids[id]!.shape.polygons.count {
                throw PlanError(.splitsGrid, "the new boundary cuts grid \(id) into separate pieces", ids: [id])
            }
        }
        return try redraw([a, b], after: after, templates: [:], context: context)
    }

    mutating func transfer(
        _ area: Shape, from sources: [String], to target: String,
        context: PlanContext
    ) throws -> JSONObject {
        let sources = Array(Set(sources)).sorted()
        guard !area.polygons.isEmpty else {
            throw PlanError(.badArea, "the area must be a Polygon or MultiPolygon, not \(area.typeName)")
        }
        guard !sources.isEmpty, !sources.contains(target) else {
            throw PlanError(.badTransfer, "name one or more source grids and a different target grid")
        }
        let editor = CoverageEditor()
        let geos = editor.geos
        let t = try geos.geometry(try grid(target).shape)
        let s = try geometries(sources, geos)
        let p = try geos.geometry(area)
        let validity = try p.validity()
        guard validity.isValid else { throw PlanError(.invalidArea, "the area is not a valid polygon: \(validity)") }
        let outside = try p.difference(try geos.geometry(base.outline))
        if try PlanMap.area(outside) > 0.01 {
            throw PlanError(
                .outsideDistrict,
                "the area reaches \(PlanMap.fixed(try PlanMap.area(outside), 1)) m² "
                    + "outside the district\(PlanMap.at(outside))")
        }
        for id in sources where !(try adjacent(s[id]!, t)) {
            throw PlanError(
                .notNeighbour, "grid \(id) does not share a boundary with grid \(target)", ids: [id, target])
        }
        let from = try geos.geometry(.multiPolygon(sources.flatMap { grids[$0]!.shape.polygons })).coverageUnion()
        let taken = try p.intersection(from)
        guard try PlanMap.area(taken) > 0.01 else {
            throw PlanError(
                .emptyTransfer, "the area takes nothing from grid \(sources.joined(separator: ", "))",
                ids: sources)
        }
        if let b = area.bounds {
            for c in grids(near: b) where c != target && !sources.contains(c) {
                let covered = try p.intersection(try geos.geometry(grids[c]!.shape))
                let m2 = try PlanMap.area(covered)
                if m2 > 0.01 {
                    throw PlanError(
                        .coversOther,
                        "the area also covers \(PlanMap.fixed(m2, 1)) m² of grid \(c), "
                            + "which is neither a source nor the target: name it as a source or redraw the "
                            + "area\(PlanMap.at(covered))", ids: [c])
                }
            }
        }
        let memberIDs = sources + [target] + (try neighbours(of: sources, geos)).filter { $0 != target }
        // The area's own boundary cuts the sources (clipped a hair beyond them, as a split line
        // is): its computed intersection with them would put vertices a rounding error off
        // their edges.
        let cut = try p.boundary().intersection(try from.buffer(1e-9, quadrantSegments: 1))
        let faces = try editor.faces(of: try geometries(memberIDs, geos), cutBy: [cut])
        let after = try editor.assemble(
            faces,
            newOwner: { f in
                try sources.contains(f.owner) && p.intersects(f.inside) ? target : f.owner
            }, before: Dictionary(uniqueKeysWithValues: memberIDs.map { ($0, grids[$0]!.shape) }))
        for id in sources where after[id] == nil {
            throw PlanError(
                .takesWholeGrid, "the area takes all of grid \(id): merge it into \(target) instead",
                ids: [id])
        }
        for id in sources where after[id]!.polygons.count > grids[id]!.shape.polygons.count {
            throw PlanError(
                .splitsGrid, "the area cuts grid \(id) into separate pieces: take all of one side, or less",
                ids: [id])
        }
        if let now = after[target], now.polygons.count > grids[target]!.shape.polygons.count {
            throw PlanError(
                .notTouching,
                "the area taken does not touch grid \(target): it would become a "
                    + "separate piece of it", ids: [target])
        }
        return try redraw(memberIDs, after: after, templates: [:], context: context)
    }

    mutating func move(_ id: String, to community: String, context: PlanContext) throws -> JSONObject {
        let g = try grid(id)
        guard let c = communities[community] else {
            throw PlanError(.unknownCommunity, "no community \(community)", ids: [community])
        }
        guard c.id != g.communityID else {
            throw PlanError(.sameCommunity, "grid \(id) is in community \(community) already", ids: [id])
        }
        let geos = ThreadResources.current.geos
        let next = try neighbours(of: [id], geos).filter { grids[$0]!.communityID == c.id }
        let shape = try geos.geometry(g.shape)
        guard try next.contains(where: { try adjacent(shape, try geos.geometry(grids[$0]!.shape)) }) else {
            throw PlanError(
                .notAdjacent,
                "grid \(id) shares no boundary with community \(c.id) (\(c.name)): the "
                    + "community would fall apart", ids: [id])
        }
        let code = try context.codes.next(in: c.id, count: 1, map: self)[0]
        let moved = try g.updating([
            "id": .string(code), "name": .string(GridCodes.name(of: code, community: c)),
            "community_id": .string(c.id), "street_id": .string(c.streetID),
        ])
        put(grid: nil, id: id)
        put(grid: moved, id: code)
        var reassigned: [JSONValue] = []
        for r in staff(of: id) {
            put(resource: r.assigned(to: code), id: r.id)
            reassigned.append(["resource": .string(r.id), "from": .string(id), "to": .string(code)])
        }
        return [
            "created": [.string(code)], "retired": [.string(id)], "changed": [], "reassigned": .array(reassigned),
            "from_community": .string(g.communityID), "to_community": .string(c.id), "area": GeoJSON.json(g.shape),
        ]
    }

    mutating func set(_ field: String, of id: String, to value: String) throws -> JSONObject {
        let g = try grid(id)
        var edits: [String: JSONValue?] = [:]
        switch field {
        case "name":
            let name = value.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 100 else {
                throw PlanError(.badValue, "a grid name must have 1 to 100 characters", ids: [id])
            }
            if let problem = DisplayText.problem(name, "a grid name") {
                throw PlanError(.badValue, problem, ids: [id])
            }
            edits["name"] = .string(name)
        case "households", "population":
            guard let n = Int(value), n >= 0, n <= 1_000_000 else {
                throw PlanError(
                    .badValue, "\(field) must be a whole number from 0 to 1000000, not '\(value.prefix(20))'",
                    ids: [id])
            }
            edits[field] = JSONValue(n)
            // The planner has entered the figure: it is no longer an estimate.
            let rest = (g.properties["estimated"]?.string ?? "").split(separator: ",").map(String.init)
                .filter { $0 != field }
            edits["estimated"] = rest.isEmpty ? .some(nil) : .string(rest.joined(separator: ","))
        default:
            throw PlanError(
                .badField,
                "a planner sets \(PlanOperation.settableFields.joined(separator: ", ")), "
                    + "not '\(field.prefix(40))'", ids: [id])
        }
        put(grid: try g.updating(edits), id: id)
        return ["created": [], "retired": [], "changed": [.string(id)], "reassigned": []]
    }

    mutating func assign(_ resource: String, to gridID: String?) throws -> JSONObject {
        guard let r = resources[resource] else {
            throw PlanError(.unknownResource, "no resource \(resource)", ids: [resource])
        }
        guard Resource.assignedKinds.contains(r.kind) else {
            throw PlanError(
                .notStaff,
                "\(resource) is a \(r.kind): only grid workers and enforcement staff are "
                    + "assigned to grids", ids: [resource])
        }
        if let gridID { _ = try grid(gridID) }
        put(resource: r.assigned(to: gridID), id: resource)
        return [
            "created": [], "retired": [], "changed": [],
            "reassigned": [["resource": .string(resource), "from": JSONValue(r.gridID), "to": JSONValue(gridID)]],
        ]
    }
}

extension Shape {
    /// A one-part MultiLineString as its LineString; anything else unchanged.
    var simplestLine: Shape {
        if case .multiLineString(let ls) = self, ls.count == 1 { return .lineString(ls[0]) }
        return self
    }

    /// The line strings in a shape (of an intersection of boundaries: lines and points).
    var lineParts: [[Coordinate]] {
        switch self {
        case .lineString(let cs): return cs.count >= 2 ? [cs] : []
        case .multiLineString(let ls): return ls.filter { $0.count >= 2 }
        case .collection(let gs): return gs.flatMap(\.lineParts)
        default: return []
        }
    }
}
