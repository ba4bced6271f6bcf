import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

extension PlanMap {
    /// Writes a redraw: `members` (the grids involved) become the grids of `after` (kept ids
    /// and new ones, whose attributes come from `templates`); members missing from `after` are
    /// retired. Figures follow the addresses and staff of retired grids their successor.
    mutating func redraw(
        _ members: [String], after: [String: Shape], templates: [String: Grid],
        context: PlanContext
    ) throws -> JSONObject {
        let old = Dictionary(uniqueKeysWithValues: try members.map { ($0, try grid($0)) })
        let fresh = Set(after.values.flatMap(\.allCoordinates)).subtracting(old.values.flatMap(\.shape.allCoordinates))
        let outline = PlanMap.outline(self.outline, with: fresh)
        try checkExact(after, replacing: members, outline: outline)
        try checkSlivers(after, old: old, minimum: context.minimumArea)
        let succession = try Succession(before: old.mapValues(\.shape), after: after, addresses: context.addresses)
        let figures = succession.figures(old: old, new: Array(after.keys))
        var created: [String] = []
        var changed: [String] = []
        for id in after.keys.sorted() {
            guard let start = grids[id] ?? templates[id], let f = figures[id] else { continue }
            var edits: [String: JSONValue?] = [:]
            if f.households != start.households || grids[id] == nil { edits["households"] = JSONValue(f.households) }
            if f.population != start.population || grids[id] == nil { edits["population"] = JSONValue(f.population) }
            if f.estimated { edits["estimated"] = "households,population" }
            let next = try start.updating(edits, shape: after[id]!)
            if grids[id] == nil {
                created.append(id)
            } else if next != grids[id] {
                changed.append(id)
            } else {
                continue
            }
            put(grid: next, id: id)
        }
        self.outline = outline
        let retired = members.filter { after[$0] == nil }
        for id in retired { put(grid: nil, id: id) }
        var reassigned: [JSONValue] = []
        func move(_ r: Resource, to grid: String) {
            // Reported from the grid it had before this operation.
            let from = reassigned.first { $0["resource"]?.string == r.id }?["from"] ?? JSONValue(r.gridID)
            reassigned.removeAll { $0["resource"]?.string == r.id }
            reassigned.append(["resource": .string(r.id), "from": from, "to": .string(grid)])
            put(resource: r.assigned(to: grid), id: r.id)
        }
        let geos = ThreadResources.current.geos
        let createdShapes = try Set(after.keys).subtracting(old.keys).map {
            ($0, try geos.geometry(after[$0]!).pointOnSurface())
        }
        for id in retired {
            guard let successor = succession.successor[id] else { continue }
            // Its heirs: the grids that received its addresses, and new grids cut from it.
            let shape = try geos.geometry(old[id]!.shape)
            let pieces = try createdShapes.filter { try shape.intersects($0.1) }.map(\.0)
            let heirs = Set((succession.flow[id] ?? [:]).keys).union(pieces).sorted()
            for r in staff(of: id) {
                // Staff go to the new grid where they stand when it is one of the heirs.
                let point = try geos.geometry(.point(r.location))
                let here = try heirs.first { try geos.geometry(after[$0]!).intersects(point) }
                move(r, to: here ?? successor)
            }
            // Every heir gets a grid worker when another heir has one to spare.
            for heir in heirs where !staff(of: heir).contains(where: { $0.kind == "grid_worker" }) {
                let donor = heirs.first { staff(of: $0).filter { $0.kind == "grid_worker" }.count > 1 }
                if let donor, let w = staff(of: donor).last(where: { $0.kind == "grid_worker" }) {
                    move(w, to: heir)
                }
            }
        }
        func list(_ ids: [String]) -> JSONValue { .array(ids.map { .string($0) }) }
        return [
            "created": list(created), "retired": list(retired), "changed": list(changed),
            "reassigned": .array(reassigned),
        ]
    }

    /// Replaces the draft's grids with `features` (a layer edited in QGIS): features whose id
    /// is new are added, grids missing from the layer removed, and the others changed where
    /// their geometry or attributes differ. Coverage and codes are then for validation to
    /// judge; the layer is refused only when it cannot be read as grids.
    mutating func replaceGrids(_ features: [Feature], source: String) throws -> JSONObject {
        var incoming: [String: Grid] = [:]
        for (k, f) in features.enumerated() {
            let g: Grid
            do { g = try Dataset.grid(f, k, source) } catch { throw PlanError(.badLayer, "\(error)") }
            guard incoming[g.id] == nil else {
                throw PlanError(.duplicateId, "\(source): grid id \(g.id) appears more than once", ids: [g.id])
            }
            guard communities[g.communityID] != nil else {
                throw PlanError(
                    .unknownCommunity,
                    "\(source): grid \(g.id) names community \(g.communityID), "
                        + "which does not exist", ids: [g.id])
            }
            incoming[g.id] = g.updating(shape: g.shape.simplestPolygonal)
        }
        guard !incoming.isEmpty else { throw PlanError(.badLayer, "\(source): the layer holds no grids") }
        var added: [String] = []
        var removed: [String] = []
        var changed: [JSONValue] = []
        for id in incoming.keys.sorted() {
            let new = incoming[id]!
            guard let was = grids[id] else {
                added.append(id)
                put(grid: new, id: id)
                continue
            }
            // Compared key by key: a GeoPackage's columns come in another order than the JSON's.
            let keys = Set(was.properties.keys).union(new.properties.keys)
                .filter { was.properties[$0] != new.properties[$0] }.sorted()
            guard !keys.isEmpty || was.shape != new.shape else { continue }
            changed.append([
                "id": .string(id), "geometry": .bool(was.shape != new.shape),
                "attributes": .array(keys.map { .string($0) }),
            ])
            var ordered = JSONObject()
            for k in was.properties.keys + new.properties.keys where ordered[k] == nil && new.properties[k] != nil {
                ordered[k] = new.properties[k]
            }
            var next = new
            next.properties = ordered
            put(grid: next, id: id)
        }
        for id in grids.keys.sorted() where incoming[id] == nil {
            removed.append(id)
            put(grid: nil, id: id)
        }
        func list(_ ids: [String]) -> JSONValue { .array(ids.map { .string($0) }) }
        // What the layer leaves for validation: staff of removed grids, boundaries whose
        // vertices differ (a layer from QGIS is taken as it is, not repaired).
        let stranded = resources.values.filter { $0.gridID.map { grids[$0] == nil } ?? false }.map(\.id).sorted()
        let current = grids.keys.sorted().map { grids[$0]! }
        let unmatched = EdgeMatch(current, outline: outline).unmatched.keys.map { current[$0].id }.sorted()
        return [
            "added": list(added), "removed": list(removed), "changed": .array(changed),
            "staff_without_grid": list(stranded), "grids_with_unmatched_edges": list(unmatched),
        ]
    }
}

extension PlanMap {
    /// Replaces the draft's units with `features` (a department's areas redrawn in QGIS: the
    /// whole units layer, every department). Units whose id is new are added, units missing from
    /// the layer removed, the others changed where they differ. Gaps and overlaps are for
    /// validation to report (`unit_gap`, `unit_overlap`); the layer is refused only when it
    /// cannot be read as units of known departments.
    mutating func replaceUnits(_ features: [Feature], source: String) throws -> JSONObject {
        let departments = Set(base.departments.map(\.id))
        var incoming: [String: ResponsibilityUnit] = [:]
        for (k, f) in features.enumerated() {
            let u: ResponsibilityUnit
            do { u = try Dataset.unit(f, k, source) } catch { throw PlanError(.badLayer, "\(error)") }
            guard incoming[u.id] == nil else {
                throw PlanError(.duplicateId, "\(source): unit id \(u.id) appears more than once", ids: [u.id])
            }
            guard departments.contains(u.departmentID) else {
                throw PlanError(.unknownDepartment, "\(source): unit \(u.id) names department \(u.departmentID), "
                                + "which does not exist (departments.csv)", ids: [u.id])
            }
            var unit = u
            unit.shape = u.shape.simplestPolygonal
            incoming[u.id] = unit
        }
        guard !incoming.isEmpty else { throw PlanError(.badLayer, "\(source): the layer holds no units") }
        var added: [String] = [], removed: [String] = [], changed: [JSONValue] = []
        for id in incoming.keys.sorted() {
            let new = incoming[id]!
            guard let was = units[id] else {
                added.append(id)
                put(unit: new, id: id)
                continue
            }
            let keys = Set(was.properties.keys).union(new.properties.keys)
                .filter { was.properties[$0] != new.properties[$0] }.sorted()
            guard !keys.isEmpty || was.shape != new.shape else { continue }
            changed.append(["id": .string(id), "geometry": .bool(was.shape != new.shape),
                            "attributes": .array(keys.map { .string($0) })])
            put(unit: new, id: id)
        }
        for id in units.keys.sorted() where incoming[id] == nil {
            removed.append(id)
            put(unit: nil, id: id)
        }
        func list(_ ids: [String]) -> JSONValue { .array(ids.map { .string($0) }) }
        // Staff of a removed unit keep its id: validation names them.
        let stranded = resources.values.filter { r in
            r.properties["unit_id"]?.idText.map { !$0.isEmpty && units[$0] == nil } ?? false
        }.map(\.id).sorted()
        return ["units_added": list(added), "units_removed": list(removed), "units_changed": .array(changed),
                "staff_without_unit": list(stranded)]
    }
}

extension PlanMap {
    /// Refuses a redraw whose new boundaries do not have the same vertices as those of the
    /// grids around them (GEOS's noding fell back to snapping, which can move a vertex): the
    /// coverage stays exact by construction, or the operation is refused.
    func checkExact(_ after: [String: Shape], replacing members: [String], outline: Shape) throws {
        var box: BoundingBox?
        for s in after.values { if let b = s.bounds { box == nil ? (box = b) : box!.include(b) } }
        guard var box else { return }
        box.minX -= 1e-9
        box.minY -= 1e-9
        box.maxX += 1e-9
        box.maxY += 1e-9
        let ids = after.keys.sorted()
        let around = grids(near: box).filter { !members.contains($0) && after[$0] == nil }
        let local =
            ids.map { id in
                Grid(
                    id: id, name: "", communityID: "", streetID: "", households: 0, population: 0,
                    shape: after[id]!, properties: [:])
            } + around.map { grids[$0]! }
        let bad = EdgeMatch(local, outline: outline).unmatched.keys.filter { $0 < ids.count }.map { ids[$0] }
        guard bad.isEmpty else {
            throw PlanError(
                .inexact,
                "GEOS could not cut this edit exactly (grid \(bad.sorted().joined(separator: ", "))): "
                    + "draw the line a little differently", ids: bad.sorted())
        }
    }

    /// Refuses a redraw that leaves a new or reshaped grid with a part under `minimum` m².
    func checkSlivers(_ after: [String: Shape], old: [String: Grid], minimum: Double) throws {
        let measurer = try ThreadResources.current.measurer()
        for (id, shape) in after.sorted(by: { $0.key < $1.key }) where shape != old[id]?.shape {
            let parts = try shape.polygons.map { try measurer.area(.polygon($0)) }
            if let was = old[id], abs(try measurer.area(was.shape) - parts.reduce(0, +)) < 0.01 { continue }
            if let small = parts.min(), small < minimum {
                throw PlanError(
                    .sliver,
                    "the edit leaves grid \(id) with a part of \(PlanMap.fixed(small, 1)) m², under the "
                        + "\(PlanMap.fixed(minimum, 0)) m² a grid needs: draw it differently", ids: [id])
            }
        }
    }

    /// The outline with the new vertices that lie on it (within 1e-9°, the rounding of a
    /// computed intersection) added, each between the ends of the edge it lies on.
    static func outline(_ outline: Shape, with fresh: Set<Coordinate>) -> Shape {
        guard !fresh.isEmpty, let box = outline.bounds else { return outline }
        let near = fresh.filter { p in
            p.x >= box.minX - 1e-9 && p.x <= box.maxX + 1e-9 && p.y >= box.minY - 1e-9 && p.y <= box.maxY + 1e-9
        }
        guard !near.isEmpty else { return outline }
        let polygons = outline.polygons.map { rings in rings.map { ring in PlanMap.inserting(near, into: ring) } }
        let next: Shape = polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(polygons)
        return next.vertexCount != outline.vertexCount ? next : outline
    }

    static func inserting(_ points: Set<Coordinate>, into ring: [Coordinate]) -> [Coordinate] {
        var out: [Coordinate] = []
        for k in 0..<max(0, ring.count - 1) {
            let a = ring[k]
            let b = ring[k + 1]
            out.append(a)
            let dx = b.x - a.x
            let dy = b.y - a.y
            let length2 = dx * dx + dy * dy
            guard length2 > 0 else { continue }
            var on: [(Double, Coordinate)] = []
            for p in points where p != a && p != b {
                let t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2
                guard t > 0, t < 1 else { continue }
                let ex = a.x + t * dx - p.x
                let ey = a.y + t * dy - p.y
                if ex * ex + ey * ey < 1e-18 { on.append((t, p)) }
            }
            out.append(contentsOf: on.sorted { $0.0 < $1.0 }.map(\.1))
        }
        if let last = ring.last { out.append(last) }
        return out
    }
}

extension Grid {
    /// The grid with another shape (its properties as they are).
    func updating(shape: Shape) -> Grid {
        var g = self
        g.shape = shape
        return g
    }
}
