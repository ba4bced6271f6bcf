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

    /// The polygon with one vertex added `degrees` outside the middle of its exterior ring's
    /// first edge: a change of one grid's boundary that moves its community's and street's
    /// too, which the store's benchmark and tests publish. Anything else unchanged.
    public func bumpedOutward(by degrees: Double = 1e-6) -> Shape {
        guard case .polygon(var rings) = simplestPolygonal, rings[0].count >= 4 else { return self }
        let ring = rings[0]
        var area2 = 0.0
        for k in 0..<(ring.count - 1) { area2 += ring[k].x * ring[k + 1].y - ring[k + 1].x * ring[k].y }
        let a = ring[0], b = ring[1]
        let dx = b.x - a.x, dy = b.y - a.y, length = (dx * dx + dy * dy).squareRoot()
        guard length > 0 else { return self }
        // Outward is to the right of an edge of a counter-clockwise ring.
        let sign = area2 > 0 ? 1.0 : -1.0
        let mid = Coordinate(
            (a.x + b.x) / 2 + sign * dy / length * degrees, (a.y + b.y) / 2 - sign * dx / length * degrees)
        rings[0].insert(mid, at: 1)
        return .polygon(rings)
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
