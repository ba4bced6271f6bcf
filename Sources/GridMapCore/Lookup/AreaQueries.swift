import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// A grid touched by an area query, with how much of the area lies in it.
public struct Overlap: Equatable, Sendable {
    public let grid: Int
    /// Area of the grid ∩ query area, m² (EPSG:4545).
    public let area: Double
}

public struct QueryError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Area queries run GEOS overlays, so they need a GEOS context and a PROJ transformer: a
/// `MetricMeasurer` per thread. The snapshot itself stays shared and untouched.
extension Snapshot {
    /// Grids meeting a polygonal area (lon/lat), each with the overlap in m², by grid id.
    /// The area is checked first: an invalid polygon is refused with GEOS's reason.
    public func grids(intersecting area: Shape, measurer: MetricMeasurer) throws -> [Overlap] {
        guard !area.polygons.isEmpty else {
            throw QueryError("the query area must be a Polygon or MultiPolygon, not \(area.typeName)")
        }
        if let c = area.allCoordinates.first(where: {
            !($0.x.isFinite && $0.y.isFinite && abs($0.x) <= 180 && abs($0.y) <= 90)
        }) {
            throw QueryError(
                "the query area must be in longitude/latitude (−180…180, −90…90); "
                    + "it has the point \(c.x) \(c.y)")
        }
        let ctx = measurer.context
        let query: Geometry
        do { query = try ctx.geometry(area) } catch { throw QueryError("invalid query geometry: \(error)") }
        let validity = try query.validity()
        guard validity.isValid else { throw QueryError("invalid query geometry: \(validity.description)") }
        guard let box = area.bounds else { return [] }
        var out: [Overlap] = []
        for g in grids.candidates(in: box) {
            let grid = try ctx.geometry(dataset.grids[g].shape)
            // The query clipped to the grid's box first: a spiky area of thousands of vertices
            // meets each grid in a few of them, and GEOS's overlay cost grows with them all.
            var part = query
            if let b = dataset.grids[g].shape.bounds, let clipped = try? query.clipped(to: b),
               (try? clipped.validity())?.isValid == true {
                part = clipped
            }
            guard !part.isEmpty, try grid.intersects(part) else { continue }
            let overlap = try grid.intersection(part)
            let m2 = overlap.isEmpty ? 0 : try measurer.area(overlap)
            out.append(Overlap(grid: g, area: m2))
        }
        return out
    }

    /// A circle of `radius` metres as a 64-gon (lon/lat), for circular area queries.
    public static func circle(center c: Coordinate, radius: Double, segments: Int = 64) -> Shape {
        let k = Metric.metresPerDegree(atLatitude: c.y)
        var ring = (0..<segments).map { i -> Coordinate in
            let a = Double(i) / Double(segments) * 2 * Double.pi
            return Coordinate(c.x + radius * _cos(a) / k.lon, c.y + radius * _sin(a) / k.lat)
        }
        ring.append(ring[0])
        return .polygon([ring])
    }

    /// Grid indices of a community or a street, by grid id.
    public func grids(inCommunity id: String) -> [Int] { gridsByCommunity[id] ?? [] }
    public func grids(inStreet id: String) -> [Int] { gridsByStreet[id] ?? [] }
    public func hasCommunity(_ id: String) -> Bool { communityByID[id] != nil }
    public func hasStreet(_ id: String) -> Bool { streetByID[id] != nil }

    /// Grids that share a stretch of boundary with `grid` (touching at a point does not count),
    /// so a dispatcher can reach the next grid worker.
    public func neighbours(of grid: Int, context ctx: GEOSContext) throws -> [Int] {
        guard var box = dataset.grids[grid].shape.bounds else { return [] }
        box = BoundingBox(minX: box.minX - 1e-6, minY: box.minY - 1e-6, maxX: box.maxX + 1e-6, maxY: box.maxY + 1e-6)
        let me = try ctx.geometry(dataset.grids[grid].shape)
        return try grids.candidates(in: box).filter { g in
            guard g != grid else { return false }
            return try me.relate(try ctx.geometry(dataset.grids[g].shape), pattern: "****1****")
        }
    }
}

@inline(__always) package func _cos(_ x: Double) -> Double { Foundation.cos(x) }
@inline(__always) package func _sin(_ x: Double) -> Double { Foundation.sin(x) }
