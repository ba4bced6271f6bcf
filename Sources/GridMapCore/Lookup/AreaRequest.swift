import GridMapGeometry
import GridMapModel
import GridMapStore

/// An incident area: a circle, a box, or a geometry given as WKT or GeoJSON (within
/// `GeometryInput`'s limits). INTERSECTS and `/api/area` read it; the rules are here.
public enum AreaRequest: Sendable {
    case circle(Coordinate, metres: Double)
    case box(BoundingBox)
    case geometry(String)

    public static let maxRadius = 50_000.0

    /// The area as a shape, checked: a bad one throws `AreaError` saying what is wrong.
    public func shape() throws -> Shape {
        switch self {
        case .circle(let c, let r):
            try checked(c)
            guard r > 0, r <= Self.maxRadius else {
                throw AreaError("radius must be more than 0 and at most \(Int(Self.maxRadius)) metres")
            }
            return Snapshot.circle(center: c, radius: r)
        case .box(let b):
            guard b.minX < b.maxX, b.minY < b.maxY else {
                throw AreaError("BOX needs minlon < maxlon and minlat < maxlat")
            }
            try checked(Coordinate(b.minX, b.minY))
            try checked(Coordinate(b.maxX, b.maxY))
            return .polygon([b.ring])
        case .geometry(let text):
            do { return try GeometryInput.parse(text) } catch let e as GeometryError {
                throw AreaError("invalid geometry: \(e.message)")
            }
        }
    }

    private func checked(_ c: Coordinate) throws {
        do { try CoordinateConverter.check(c, .wgs84) } catch { throw AreaError("\(error)") }
    }
}

public struct AreaError: Error, CustomStringConvertible, Sendable {
    public let description: String
    package init(_ description: String) { self.description = description }
}

extension Snapshot {
    /// The grids an area meets, each with the area of the overlap (GEOS: milliseconds, so
    /// callers run it off their event loops).
    public func areaJSON(_ request: AreaRequest, measurer m: MetricMeasurer) throws -> JSONValue {
        let shape = try request.shape()
        let overlaps: [Overlap]
        do { overlaps = try grids(intersecting: shape, measurer: m) } catch { throw AreaError("\(error)") }
        return [
            "area_m2": JSONValue((try m.area(shape) * 10).rounded() / 10),
            "grids": .array(overlaps.map { o in
                guard case .object(var j) = gridJSON(o.grid) else { return .null }
                j["overlap_m2"] = JSONValue((o.area * 10).rounded() / 10)
                return .object(j)
            }),
            "data_version": .string(version),
        ]
    }
}
