/// A position: x is longitude (or easting), y latitude (or northing).
public struct Coordinate: Hashable, Sendable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    public var lon: Double { x }
    public var lat: Double { y }
}

/// A geometry as plain Swift values (GeoJSON's model). Unlike a GEOS `Geometry` it is
/// `Sendable` and can live in shared, immutable snapshots.
public indirect enum Shape: Equatable, Sendable {
    case point(Coordinate)
    case multiPoint([Coordinate])
    case lineString([Coordinate])
    case multiLineString([[Coordinate]])
    /// Rings: the exterior first, then holes; each ring closed (first == last).
    case polygon([[Coordinate]])
    case multiPolygon([[[Coordinate]]])
    case collection([Shape])

    public var typeName: String {
        switch self {
        case .point: "Point"
        case .multiPoint: "MultiPoint"
        case .lineString: "LineString"
        case .multiLineString: "MultiLineString"
        case .polygon: "Polygon"
        case .multiPolygon: "MultiPolygon"
        case .collection: "GeometryCollection"
        }
    }

    /// The same shape with every coordinate passed through `transform`.
    public func mapCoordinates(_ transform: (Coordinate) throws -> Coordinate) rethrows -> Shape {
        switch self {
        case .point(let c): return .point(try transform(c))
        case .multiPoint(let cs): return .multiPoint(try cs.map(transform))
        case .lineString(let cs): return .lineString(try cs.map(transform))
        case .multiLineString(let ls): return .multiLineString(try ls.map { try $0.map(transform) })
        case .polygon(let rings): return .polygon(try rings.map { try $0.map(transform) })
        case .multiPolygon(let ps): return .multiPolygon(try ps.map { try $0.map { try $0.map(transform) } })
        case .collection(let gs): return .collection(try gs.map { try $0.mapCoordinates(transform) })
        }
    }

    /// Every polygon of a polygonal shape, as lists of rings (empty for other shapes).
    public var polygons: [[[Coordinate]]] {
        switch self {
        case .polygon(let rings): return [rings]
        case .multiPolygon(let ps): return ps
        case .collection(let gs): return gs.flatMap(\.polygons)
        default: return []
        }
    }

    public var allCoordinates: [Coordinate] {
        switch self {
        case .point(let c): return [c]
        case .multiPoint(let cs), .lineString(let cs): return cs
        case .multiLineString(let ls): return ls.flatMap { $0 }
        case .polygon(let rings): return rings.flatMap { $0 }
        case .multiPolygon(let ps): return ps.flatMap { $0.flatMap { $0 } }
        case .collection(let gs): return gs.flatMap(\.allCoordinates)
        }
    }

    /// A one-part MultiPolygon as the Polygon it is; anything else unchanged. The store keeps
    /// grids this way, so that a layer written as MultiPolygons (a GeoPackage) reads back equal.
    public var simplestPolygonal: Shape {
        if case .multiPolygon(let parts) = self, parts.count == 1 { return .polygon(parts[0]) }
        return self
    }

    /// A Polygon as a one-part MultiPolygon; anything else unchanged.
    public var asMultiPolygon: Shape {
        if case .polygon(let rings) = self { return .multiPolygon([rings]) }
        return self
    }

    /// Number of vertices, counting closing points.
    public var vertexCount: Int { allCoordinates.count }

    public var bounds: BoundingBox? { BoundingBox(allCoordinates) }
}

public struct BoundingBox: Equatable, Sendable {
    public var minX, minY, maxX, maxY: Double
    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY
    }
    public init?(_ coordinates: some Sequence<Coordinate>) {
        var it = coordinates.makeIterator()
        guard let first = it.next() else { return nil }
        self.init(minX: first.x, minY: first.y, maxX: first.x, maxY: first.y)
        while let c = it.next() { include(c) }
    }
    public mutating func include(_ c: Coordinate) {
        minX = Swift.min(minX, c.x); maxX = Swift.max(maxX, c.x)
        minY = Swift.min(minY, c.y); maxY = Swift.max(maxY, c.y)
    }
    public mutating func include(_ b: BoundingBox) {
        minX = Swift.min(minX, b.minX); maxX = Swift.max(maxX, b.maxX)
        minY = Swift.min(minY, b.minY); maxY = Swift.max(maxY, b.maxY)
    }
    public func contains(_ c: Coordinate) -> Bool {
        c.x >= minX && c.x <= maxX && c.y >= minY && c.y <= maxY
    }
    public func intersects(_ b: BoundingBox) -> Bool {
        b.minX <= maxX && b.maxX >= minX && b.minY <= maxY && b.maxY >= minY
    }
    public var center: Coordinate { Coordinate((minX + maxX) / 2, (minY + maxY) / 2) }
    public var ring: [Coordinate] {
        [Coordinate(minX, minY), Coordinate(maxX, minY), Coordinate(maxX, maxY), Coordinate(minX, maxY),
         Coordinate(minX, minY)]
    }
}
