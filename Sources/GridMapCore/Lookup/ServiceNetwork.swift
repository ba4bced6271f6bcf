import Foundation

/// One version's network (一张网), indexed: each department's units under a `GridIndex` of
/// their own (the same exact closed-polygon rule as grids: among the units that cover a point,
/// the lowest id), the catalogue by code, and each unit's staff. Immutable, like its snapshot.
public final class ServiceNetwork: Sendable {
    public let departments: [String: Department]
    public let categories: [String: Category]
    /// Each department's units in id order, their index, and each unit's vertices' bounding box.
    let layers: [String: (units: [ResponsibilityUnit], index: GridIndex, boxes: [BoundingBox])]
    /// Resource indices of each unit's staff (their `unit_id`), by unit id.
    let staff: [String: [Int]]

    /// Nil when the dataset has no units and no categories: nothing to route.
    init?(_ d: Dataset) throws {
        guard !d.categories.isEmpty || !d.units.isEmpty else { return nil }
        departments = Dictionary(d.departments.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        categories = Dictionary(d.categories.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        var layers: [String: (units: [ResponsibilityUnit], index: GridIndex, boxes: [BoundingBox])] = [:]
        for (department, units) in Dictionary(grouping: d.units, by: \.departmentID) {
            let sorted = units.sorted { $0.id < $1.id }
            layers[department] = (sorted, try GridIndex(polygons: sorted.map(\.shape)),
                                  sorted.map { $0.shape.bounds ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0) })
        }
        self.layers = layers
        var staff: [String: [Int]] = [:]
        for (i, r) in d.resources.enumerated() {
            if let u = r.properties["unit_id"]?.idText, !u.isEmpty { staff[u, default: []].append(i) }
        }
        self.staff = staff
    }

    /// The unit of `department` responsible at `p`, and every unit of it covering `p` (more
    /// than one on a shared edge, or where the department's areas overlap).
    func units(at p: Coordinate, department: String) -> (unit: ResponsibilityUnit?, covering: [String]) {
        guard let layer = layers[department] else { return (nil, []) }
        // Decided on the true coordinates against every unit near the point: units of one
        // department may overlap (ambiguous data), where the grids' whole-cell shortcut would
        // name only one.
        let covering = layer.index.exactlyCovering(p, all: true)
        return (covering.first.map { layer.units[$0] }, covering.map { layer.units[$0].id })
    }

    /// The other units of `department` within `metres` of `p`, nearest first, with their distance.
    func unitsNear(_ p: Coordinate, department: String, within metres: Double, except: String?)
        -> [(unit: ResponsibilityUnit, metres: Double)]
    {
        guard let layer = layers[department] else { return [] }
        let m = Metric.metresPerDegree(atLatitude: p.y)
        let dx = metres / m.lon, dy = metres / m.lat
        var out: [(ResponsibilityUnit, Double)] = []
        for (k, u) in layer.units.enumerated() where u.id != except {
            let b = layer.boxes[k]
            guard p.x >= b.minX - dx, p.x <= b.maxX + dx, p.y >= b.minY - dy, p.y <= b.maxY + dy else { continue }
            let d = ServiceNetwork.distance(p, to: u.shape, scale: m)
            if d <= metres { out.append((u, d)) }
        }
        return out.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0.id < $1.0.id) }
    }

    /// Metres from `p` to the nearest edge of `shape` (locally projected: exact enough within
    /// the tens of metres a border flag looks at).
    static func distance(_ p: Coordinate, to shape: Shape, scale m: (lon: Double, lat: Double)) -> Double {
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
