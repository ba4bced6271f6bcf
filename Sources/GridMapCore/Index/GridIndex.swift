/// Point-in-grid lookup over an immutable copy of the grid boundaries.
///
/// Why not GEOS on the query path: GEOS 3.11 prepared geometries are not thread-safe
/// (sharing one across threads crashes), 3.11 has no `GEOSPreparedContainsXY` and no
/// `GEOSSTRtree_build`, and an unprepared `GEOSCovers` is O(vertices) per call. So the
/// boundaries, validated by GEOS when the data is read or published, are copied into plain
/// arrays (`GridEdges`, `GridBuckets`) that any number of threads read without locks.
///
/// **Boundary rule.** The query point is snapped to the 1e-7° lattice (about 1 cm). It
/// belongs to the grid with the smallest index, that is the smallest grid id when grids are
/// given sorted by id, among the grids whose closed polygon (interior plus boundary)
/// contains it. A point on an edge shared by two grids, or on a vertex shared by several,
/// thus goes to the lowest-numbered of them, whatever the thread or query order.
///
/// Cost: one bucket lookup; a bucket crossed by no edge answers at once, others test a
/// few candidate grids over one slab of a handful of edges each. The work per lookup does
/// not grow with the number of grids.
public struct GridIndex: Sendable {
    public static let unitsPerDegree = 1e7

    let shapes: GridEdges
    let buckets: GridBuckets

    public struct BuildError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Builds the index over the grids' polygonal shapes (lon/lat), in the order given.
    public init(polygons: [Shape]) throws {
        shapes = try GridEdges(polygons: polygons)
        buckets = GridBuckets(shapes)
    }

    public var gridCount: Int { shapes.count }
    public var bucketCount: Int { buckets.count }

    /// Bytes held by the index's arrays.
    public var memoryBytes: Int {
        shapes.meta.count * MemoryLayout<GridEdges.Meta>.stride + shapes.slabStart.count * 4
            + shapes.edges.count * MemoryLayout<GridEdges.Edge>.stride + buckets.start.count * 4 + buckets.items.count * 4
    }

    static func units(_ c: Coordinate) -> (x: Int64, y: Int64) {
        (Int64((c.x * unitsPerDegree).rounded()), Int64((c.y * unitsPerDegree).rounded()))
    }

    /// The index of the grid that owns the point, by the boundary rule; nil outside every grid.
    @inline(__always)
    public func locate(_ c: Coordinate) -> Int? {
        guard c.x.isFinite, c.y.isFinite, abs(c.x) <= 180, abs(c.y) <= 90 else { return nil }
        let u = GridIndex.units(c)
        let x = u.x - shapes.originX, y = u.y - shapes.originY
        guard x >= 0, y >= 0, x < shapes.width, y < shapes.height else { return nil }
        let cell = buckets.bucket(x, y)
        let from = Int(buckets.start[cell]), to = Int(buckets.start[cell + 1])
        if from == to { return nil }
        let first = buckets.items[from]
        if first < 0 { return Int(~first) }
        // Candidates are in ascending order: the first that covers the point is the answer.
        for k in from..<to {
            let g = Int(buckets.items[k])
            if shapes.covers(g, Int32(x), Int32(y)) { return g }
        }
        return nil
    }

    /// Every grid whose closed polygon contains the (snapped) point, in index order. More
    /// than one only on shared boundaries (or in overlapping data).
    public func coveringGrids(_ c: Coordinate) -> [Int] {
        let u = GridIndex.units(c)
        let x = u.x - shapes.originX, y = u.y - shapes.originY
        guard x >= 0, y >= 0, x < shapes.width, y < shapes.height else { return [] }
        let cell = buckets.bucket(x, y)
        let items = buckets.items[Int(buckets.start[cell])..<Int(buckets.start[cell + 1])]
        if let first = items.first, first < 0 { return [Int(~first)] }
        return items.map(Int.init).filter { shapes.covers($0, Int32(x), Int32(y)) }.sorted()
    }

    /// Snaps a coordinate to the lattice the index decides on.
    public static func snap(_ c: Coordinate) -> Coordinate {
        let u = units(c)
        return Coordinate(Double(u.x) / unitsPerDegree, Double(u.y) / unitsPerDegree)
    }

    /// Indices of grids whose bounding box meets `box` (lon/lat): candidates for area queries.
    public func candidates(in box: BoundingBox) -> [Int] {
        let a = GridIndex.units(Coordinate(box.minX, box.minY)), b = GridIndex.units(Coordinate(box.maxX, box.maxY))
        let x0 = a.x - shapes.originX, y0 = a.y - shapes.originY, x1 = b.x - shapes.originX, y1 = b.y - shapes.originY
        return (0..<shapes.count).filter { g in
            let m = shapes.meta[g]
            return Int64(m.minX) <= x1 && Int64(m.maxX) >= x0 && Int64(m.minY) <= y1 && Int64(m.maxY) >= y0
        }
    }
}
