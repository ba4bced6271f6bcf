import Dispatch

/// Point-in-grid lookup over an immutable copy of the grid boundaries.
///
/// Why not GEOS on the query path: GEOS 3.11 prepared geometries are not thread-safe
/// (sharing one across threads crashes), 3.11 has no `GEOSPreparedContainsXY` and no
/// `GEOSSTRtree_build`, and an unprepared `GEOSCovers` is O(vertices) per call. So the
/// boundaries, validated by GEOS when the data is read or published, are copied into plain
/// arrays (`GridEdges` while building, `GridCells` after) that any number of threads read without locks.
///
/// **Boundary rule.** A point belongs to the grid with the smallest index, that is the
/// smallest grid id when grids are given sorted by id, among the grids whose closed polygon
/// (interior plus boundary) covers it, decided exactly on the doubles of the polygons and of
/// the point: the answer GEOS's `covers` gives. A point on an edge shared by two grids, or on
/// a vertex shared by several, thus goes to the lowest-numbered of them.
///
/// **How.** The cell lattice (`GridCells`) decides on integer copies of the point and the
/// vertices, snapped to the 1e-7° lattice (about 1 cm), and says when that cannot be trusted:
/// when a boundary passes within one lattice unit of the snapped point (the true point and
/// the true edge may then lie either side). Those points, a few in a thousand, are decided by
/// exact predicates on the true coordinates (`ExactPredicates`) over the grids whose boxes
/// hold them (`candidates`).
///
/// Cost: one directory read; a cell crossed by a boundary then reads one contiguous record.
/// The work per lookup does not grow with the number of grids.
public struct GridIndex: Sendable {
    public static let unitsPerDegree = 1e7

    package let originX: Int64, originY: Int64
    package let width: Int64, height: Int64
    package let boxes: [GridBox]
    package let cells: GridCells
    /// Each grid's polygons as given: what undecided points are tested against.
    package let polygons: [[[[Coordinate]]]]
    /// Grids by coarse bucket of the lattice, for undecided points.
    package let buckets: GridBuckets

    public struct BuildError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Builds the index over the grids' polygonal shapes (lon/lat), in the order given.
    public init(polygons: [Shape]) throws { try self.init(polygons: polygons, cellShift: nil) }

    /// `cellShift` forces the cell size (2^shift units), for tests of cell-edge cases.
    package init(polygons: [Shape], cellShift: Int?) throws {
        let shapes = try GridEdges(polygons: polygons)
        originX = shapes.originX; originY = shapes.originY
        width = shapes.width; height = shapes.height
        boxes = shapes.boxes
        cells = try GridCells(shapes, shift: cellShift)
        self.polygons = polygons.map(\.polygons)
        buckets = GridBuckets(boxes: shapes.boxes, width: width, height: height, shift: cells.shift + 3)
    }

    /// The index of `polygons` when only those at `changed` differ from the ones `old`
    /// indexes (same count, same order): `old`'s cells are updated where those grids were and
    /// are, when the lattice stays the same; otherwise it is built afresh.
    package init(polygons: [Shape], updating old: GridIndex, changed: [Int]) throws {
        let shapes = try GridEdges(polygons: polygons)
        originX = shapes.originX; originY = shapes.originY
        width = shapes.width; height = shapes.height
        boxes = shapes.boxes
        if polygons.count == old.boxes.count, (originX, originY, width, height) == (old.originX, old.originY, old.width,
                                                                                   old.height),
           GridCells.defaultShift(shapes) == old.cells.shift {
            cells = try GridCells(shapes, updating: old.cells, oldBoxes: old.boxes, changed: changed)
        } else {
            cells = try GridCells(shapes)
        }
        self.polygons = polygons.map(\.polygons)
        buckets = GridBuckets(boxes: shapes.boxes, width: width, height: height, shift: cells.shift + 3)
    }

    public var gridCount: Int { boxes.count }

    /// The shape of the cell lattice, for benchmarks and tuning.
    public struct Layout: Sendable {
        public let cells: Int, cellsWithRecords: Int, sections: Int, wideSections: Int, recordBytes: Int
    }
    public func layout() -> Layout { cells.layout() }

    /// Bytes held by the index's arrays.
    public var memoryBytes: Int {
        boxes.count * MemoryLayout<GridBox>.stride + cells.directory.count * 4 + cells.records.count * 4
    }

    @inline(__always)
    package static func units(_ c: Coordinate) -> (x: Int64, y: Int64) { (lattice(c.x), lattice(c.y)) }

    /// Degrees to the nearest lattice unit (ties to even). Adding and removing 1.5 × 2^52
    /// rounds in one addition: `rounded()` is a libm call on baseline x86-64, and that call
    /// stops the CPU from overlapping consecutive lookups' memory reads. Exact for
    /// |v| < 2^51, far beyond ±180° × 1e7.
    @inline(__always)
    package static func lattice(_ degrees: Double) -> Int64 {
        let magic = 6_755_399_441_055_744.0
        return Int64((degrees * unitsPerDegree + magic) - magic)
    }

    /// Lattice offsets of a coordinate inside the index's extent; nil outside it.
    @inline(__always)
    private func offsets(_ c: Coordinate) -> (x: Int64, y: Int64)? {
        guard c.x.isFinite, c.y.isFinite, abs(c.x) <= 180, abs(c.y) <= 90 else { return nil }
        let u = GridIndex.units(c)
        let x = u.x - originX, y = u.y - originY
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        return (x, y)
    }

    /// The index of the grid that owns the point, by the boundary rule; nil outside every grid.
    @inline(__always)
    public func locate(_ c: Coordinate) -> Int? {
        var probe = self.probe(c)
        cells.readDirectory(&probe)
        let g = cells.firstCovering(probe)
        if g >= 0 { return Int(g) }
        return g == GridCells.noGrid ? nil : exactlyCovering(c).first
    }

    /// The grids covering a point, decided on the true coordinates, ascending.
    package func exactlyCovering(_ c: Coordinate, all: Bool = false) -> [Int] {
        guard let p = offsets(c) else { return [] }
        var found: [Int] = []
        for g in buckets.grids(at: p.x, p.y) {
            let b = boxes[Int(g)]
            guard Int64(b.minX) - 1 <= p.x, p.x <= Int64(b.maxX) + 1, Int64(b.minY) - 1 <= p.y, p.y <= Int64(b.maxY) + 1
            else { continue }
            if ExactPredicates.covers(polygons[Int(g)], c) {
                found.append(Int(g))
                if !all { break }
            }
        }
        return found
    }

    @inline(__always)
    private func probe(_ c: Coordinate) -> GridCells.Probe {
        guard let p = offsets(c) else { return .outside }
        return cells.probe(p.x, p.y)
    }

    /// `locate` for many points in this thread: out[i] is the grid of points[i], or -1.
    /// A software pipeline over groups of points: while one group is answered, the next
    /// group's records and the one after's directory words are already on their way from
    /// memory. Same answers as `locate`; much faster once the index outgrows the CPU caches.
    public func locate(_ points: UnsafeBufferPointer<Coordinate>, into out: UnsafeMutableBufferPointer<Int32>) {
        precondition(out.count >= points.count, "one output slot per point")
        let group = 16, groups = (points.count + group - 1) / group
        let range = { (g: Int) in (g * group)..<min(points.count, (g + 1) * group) }
        withUnsafeTemporaryAllocation(of: GridCells.Probe.self, capacity: 3 * group) { ring in
            for g in 0..<(groups + 2) {
                if g < groups {
                    let base = (g % 3) * group
                    for i in range(g) {
                        let p = probe(points[i])
                        cells.prefetchDirectory(p)
                        ring.initializeElement(at: base + i - g * group, to: p)
                    }
                }
                if g >= 1 && g - 1 < groups {
                    let base = ((g - 1) % 3) * group
                    for k in 0..<range(g - 1).count {
                        cells.readDirectory(&ring[base + k])
                        cells.prefetchRecord(ring[base + k])
                    }
                }
                if g >= 2 {
                    let base = ((g - 2) % 3) * group
                    for i in range(g - 2) {
                        out[i] = cells.firstCovering(ring[base + i - (g - 2) * group])
                    }
                }
            }
        }
        for i in 0..<points.count where out[i] == GridCells.undecided {
            out[i] = exactlyCovering(points[i]).first.map(Int32.init) ?? GridCells.noGrid
        }
    }

    /// Locates many points, spread over every core: out[i] is the grid of points[i], or -1.
    public func locateAll(_ points: [Coordinate]) -> [Int32] {
        let count = points.count
        var raw = [Int32](repeating: -1, count: count)
        raw.withUnsafeMutableBufferPointer { out in
            points.withUnsafeBufferPointer { input in
                // Each part writes a disjoint range of `out`; both buffers outlive the call.
                nonisolated(unsafe) let target = out, source = input
                _ = Parallel.map(count, parts: Parallel.parts(count, grain: 4096, perCore: 16)) { _, range in
                    locate(
                        UnsafeBufferPointer(rebasing: source[range]),
                        into: UnsafeMutableBufferPointer(rebasing: target[range]))
                }
            }
        }
        return raw
    }

    /// Every grid whose closed polygon covers the point, in index order. More than one only
    /// on shared boundaries (or in overlapping data).
    public func coveringGrids(_ c: Coordinate) -> [Int] {
        guard let p = offsets(c) else { return [] }
        return cells.allCovering(p.x, p.y) ?? exactlyCovering(c, all: true)
    }

    /// Snaps a coordinate to the lattice the index decides on.
    /// (A coordinate that is not a longitude/latitude is returned as it is.)
    public static func snap(_ c: Coordinate) -> Coordinate {
        guard c.x.isFinite, c.y.isFinite, abs(c.x) <= 180, abs(c.y) <= 90 else { return c }
        let u = units(c)
        return Coordinate(Double(u.x) / unitsPerDegree, Double(u.y) / unitsPerDegree)
    }

    /// Indices of grids whose bounding box meets `box` (lon/lat): candidates for area queries.
    /// The box is clamped to longitude/latitude ranges first: no grid lies beyond them.
    public func candidates(in box: BoundingBox) -> [Int] {
        guard box.minX.isFinite, box.minY.isFinite, box.maxX.isFinite, box.maxY.isFinite else { return [] }
        let clamp = { (v: Double, limit: Double) in min(max(v, -limit), limit) }
        let a = GridIndex.units(Coordinate(clamp(box.minX, 180), clamp(box.minY, 90)))
        let b = GridIndex.units(Coordinate(clamp(box.maxX, 180), clamp(box.maxY, 90)))
        let x0 = a.x - originX, y0 = a.y - originY, x1 = b.x - originX, y1 = b.y - originY
        return boxes.indices.filter { g in
            let m = boxes[g]
            return Int64(m.minX) <= x1 && Int64(m.maxX) >= x0 && Int64(m.minY) <= y1 && Int64(m.maxY) >= y0
        }
    }
}

/// Grids by square bucket of the lattice (CSR: `offsets` into `grids`), each listing in
/// ascending order the grids whose box, widened by a unit, meets it.
package struct GridBuckets: Sendable {
    package let shift: Int
    package let columns: Int, rows: Int
    package let offsets: [Int32]
    package let grids: [Int32]

    package init(boxes: [GridBox], width: Int64, height: Int64, shift: Int) {
        self.shift = shift
        columns = Int((width - 1) >> Int64(shift)) + 1
        rows = Int((height - 1) >> Int64(shift)) + 1
        var lists = [[Int32]](repeating: [], count: columns * rows)
        for (g, b) in boxes.enumerated() where !b.isEmpty {
            let c0 = max(0, Int((Int64(b.minX) - 1) >> Int64(shift))),
                c1 = min(columns - 1, Int((Int64(b.maxX) + 1) >> Int64(shift)))
            let r0 = max(0, Int((Int64(b.minY) - 1) >> Int64(shift))),
                r1 = min(rows - 1, Int((Int64(b.maxY) + 1) >> Int64(shift)))
            for r in r0...r1 { for c in c0...c1 { lists[r * columns + c].append(Int32(g)) } }
        }
        var offsets = [Int32(0)]
        offsets.reserveCapacity(lists.count + 1)
        for l in lists { offsets.append(offsets.last! + Int32(l.count)) }
        self.offsets = offsets
        grids = lists.flatMap { $0 }
    }

    package func grids(at x: Int64, _ y: Int64) -> ArraySlice<Int32> {
        let c = Int(x >> Int64(shift)), r = Int(y >> Int64(shift))
        guard c >= 0, r >= 0, c < columns, r < rows else { return [] }
        let k = r * columns + c
        return grids[Int(offsets[k])..<Int(offsets[k + 1])]
    }
}
