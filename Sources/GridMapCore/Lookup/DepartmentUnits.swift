import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// One version's network (一张网), indexed: each department's units under a `GridIndex` of
/// their own (the same exact closed-polygon rule as grids: among the units that cover a point,
/// the lowest id) and a `ClearCells` raster that decides most points with one read, the
/// catalogue by code, each unit's staff, and the parts of a ROUTE reply that depend only on the
/// version (`RouteParts`). Immutable, like its snapshot.
public final class DepartmentUnits: Sendable {
    public let departments: [String: Department]
    public let categories: [String: Category]
    /// Each department's units in id order, indexed.
    package let layers: [String: UnitLayer]
    /// What ROUTE writes, serialized once.
    package let parts: RouteParts

    /// One department's layer.
    package struct UnitLayer: Sendable {
        package let units: [ResponsibilityUnit]
        package let index: GridIndex
        /// Each unit's vertices' bounding box.
        package let boxes: [BoundingBox]
        /// Clear of every edge by `RoutingRule.defaultBorderMetres`: a point there is covered
        /// by the cell's set and near no border (at that distance or less).
        package let clear: ClearCells
        /// The rule's answer for each of `clear`'s covering sets (-1: the 属地), found once, so a
        /// point in a clear cell is decided by two reads (`decidedUnit(at:)`).
        package let responsibleInSet: [Int32]
        /// Built without clear cells: every point is decided on its true coordinates.
        package let exactOnly: Bool

        /// `clearCells: false` for a layer asked about a few points (the planner's impact
        /// report): the raster is not built, and every answer is the exact test's.
        package init(_ units: [ResponsibilityUnit], clearCells: Bool = true) throws {
            self.units = units.sorted { $0.id < $1.id }
            index = try GridIndex(polygons: self.units.map(\.shape))
            boxes = self.units.map { $0.shape.bounds ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0) }
            exactOnly = !clearCells
            clear = ClearCells(polygons: clearCells ? self.units.map(\.shape) : [], index: index,
                               clearance: RoutingRule.defaultBorderMetres)
            responsibleInSet = clear.sets.map { RoutingRule.responsible(among: $0).map(Int32.init) ?? -1 }
        }

        /// The units covering `p`, ascending (`decide(at:)` applies the rule to them), and
        /// whether an edge may be within `clear.clearance` of it. Away from every edge the clear
        /// cells answer; near one (or with `exact`) the exact test on the true coordinates,
        /// against every unit there: units of one department may overlap (ambiguous data).
        @inline(__always)
        func covering(_ p: Coordinate, exact: Bool = false) -> (units: [Int], nearEdge: Bool) {
            let set = exact || exactOnly ? -1 : clear.set(at: p)
            if set >= 0 { return (clear.sets[set], false) }
            if set == -2 { return ([], false) }
            return (index.exactlyCovering(p, all: true), true)
        }
    }

    /// Nil when the dataset has no units and no categories: nothing to route. `previous`'s
    /// layers are taken over when its units are these (a publish that changes grids only).
    package init?(_ d: Dataset, workers: [[Int]], gridByID: [String: Int], communityByID: [String: Int],
          streetByID: [String: Int], ending: [UInt8], previous: DepartmentUnits?) throws {
        guard !d.categories.isEmpty || !d.units.isEmpty else { return nil }
        departments = Dictionary(d.departments.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        categories = Dictionary(d.categories.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let grouped = Dictionary(grouping: d.units, by: \.departmentID)
        if let previous, previous.layers.mapValues(\.units) == grouped.mapValues({ $0.sorted { $0.id < $1.id } }) {
            layers = previous.layers
        } else {
            // Departments' layers are independent: built on every core.
            let names = grouped.keys.sorted()
            // Each part builds its own layer from values it only reads.
            let built = names.isEmpty ? [] : Parallel.map(names.count, parts: names.count) { k, _ in
                Result { try UnitLayer(grouped[names[k]]!) }
            }
            layers = Dictionary(uniqueKeysWithValues: zip(names, try built.map { try $0.get() }))
        }
        parts = RouteParts(d, layers: layers, departments: departments, workers: workers, gridByID: gridByID,
                           communityByID: communityByID, streetByID: streetByID, ending: ending)
    }

    /// Each department's clear cells: the share of the raster a point is decided in by one read,
    /// and its bytes (for `gridmap-bench`).
    public func clearCellsLayout() -> [(department: String, clear: Double, bytes: Int)] {
        layers.keys.sorted().map { ($0, layers[$0]!.clear.clearShare, layers[$0]!.clear.memoryBytes) }
    }

    /// The other units of the layer within `metres` of `p`, nearest first, with their distance.
    package func unitsNear(_ p: Coordinate, _ layer: UnitLayer, within metres: Double, except: Int?)
        -> [(Int, Double)]
    {
        let m = Metric.metresPerDegree(atLatitude: p.y)
        let dx = metres / m.lon, dy = metres / m.lat
        var out: [(Int, Double)] = []
        for k in layer.units.indices where k != except {
            let b = layer.boxes[k]
            guard p.x >= b.minX - dx, p.x <= b.maxX + dx, p.y >= b.minY - dy, p.y <= b.maxY + dy else { continue }
            let d = DepartmentUnits.distance(p, to: layer.units[k].shape, scale: m)
            if d <= metres { out.append((k, d)) }
        }
        return out.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    }

    /// Metres from `p` to the nearest edge of `shape` (locally projected: exact enough within
    /// the tens of metres a border flag looks at).
    package static func distance(_ p: Coordinate, to shape: Shape, scale m: (lon: Double, lat: Double)) -> Double {
        var best = Double.infinity
        for polygon in shape.polygons {
            for ring in polygon where ring.count > 1 {
                for k in 0..<(ring.count - 1) {
                    let ax = (ring[k].x - p.x) * m.lon, ay = (ring[k].y - p.y) * m.lat
                    let bx = (ring[k + 1].x - p.x) * m.lon, by = (ring[k + 1].y - p.y) * m.lat
                    let ex = bx - ax, ey = by - ay
                    let length = ex * ex + ey * ey
                    let t = length > 0 ? max(0, min(1, -(ax * ex + ay * ey) / length)) : 0
                    let x = ax + t * ex, y = ay + t * ey
                    best = min(best, (x * x + y * y).squareRoot())
                }
            }
        }
        return best
    }
}
