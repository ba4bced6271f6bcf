/// A uniform bucket grid over the district: for each bucket, which grids can cover a point
/// in it. A bucket crossed by no edge lies wholly inside one grid (or none) and answers a
/// lookup without any polygon test.
struct GridBuckets: Sendable {
    let side: Int64
    let columns: Int, rows: Int
    /// items[start[c] ..< start[c+1]]: candidate grids, or a lone ~g for "all of bucket c is in g".
    let start: [Int32]
    let items: [Int32]

    var count: Int { columns * rows }

    init(_ shapes: GridEdges) {
        // Side: a third of the median grid's extent, so most buckets in dense areas are
        // inside one grid; coarser when that would need too many buckets.
        let extents = (0..<shapes.count).map { g in
            let m = shapes.meta[g]
            return Double(max(0, Int64(m.maxX) - Int64(m.minX))) * Double(max(0, Int64(m.maxY) - Int64(m.minY)))
        }.sorted()
        let median = max(1, extents.isEmpty ? 1 : extents[extents.count / 2])
        var side = max(16, Int64(median.squareRoot() / 3))
        let maxBuckets = max(1 << 21, 100 * shapes.count)
        while (shapes.width / side + 1) * (shapes.height / side + 1) > maxBuckets { side = side * 5 / 4 + 1 }
        self.side = side
        let columns = Int(shapes.width / side) + 1, rows = Int(shapes.height / side) + 1
        self.columns = columns; self.rows = rows
        let cells = columns * rows

        // For each grid: the buckets its edges pass through (by each edge's bounding box, a
        // superset), then the buckets in its box that it contains whole, tested at the
        // bucket's centre, which cannot be on its boundary. `mark` dedupes without sorting.
        var touchedCount = [Int32](repeating: 0, count: cells)
        var whole = [(cell: Int32, grid: Int32)]()
        var mark = [Int32](repeating: -1, count: cells)
        for g in 0..<shapes.count where !shapes.meta[g].isEmpty {
            GridBuckets.forEachBucket(of: g, shapes, side, columns) { cell in
                if mark[cell] != Int32(g) { mark[cell] = Int32(g); touchedCount[cell] += 1 }
            }
            let m = shapes.meta[g]
            let c0 = Int(Int64(m.minX) / side), c1 = Int(Int64(m.maxX) / side)
            let r0 = Int(Int64(m.minY) / side), r1 = Int(Int64(m.maxY) / side)
            for r in r0...r1 { for c in c0...c1 {
                let cell = r * columns + c
                if mark[cell] == Int32(g) { continue }
                let cx = Int64(c) * side + side / 2, cy = Int64(r) * side + side / 2
                if shapes.covers(g, Int32(min(cx, Int64(Int32.max))), Int32(min(cy, Int64(Int32.max)))) {
                    whole.append((Int32(cell), Int32(g)))
                }
            } }
        }

        // Assemble: a bucket with no edges and covering grids answers with the smallest
        // (the boundary rule); otherwise its candidates are tested at lookup.
        var wholeCount = [Int32](repeating: 0, count: cells)
        for w in whole { wholeCount[Int(w.cell)] += 1 }
        var start = [Int32](repeating: 0, count: cells + 1)
        for cell in 0..<cells {
            let n = touchedCount[cell] == 0 ? min(wholeCount[cell], 1) : touchedCount[cell] + wholeCount[cell]
            start[cell + 1] = start[cell] + n
        }
        // Fill grid by grid, so each bucket lists its grids in ascending order: a lookup can
        // stop at the first grid that covers the point, which is then the smallest.
        var items = [Int32](repeating: 0, count: Int(start[cells]))
        var fill = Array(start.dropLast())
        mark = [Int32](repeating: -1, count: cells)
        var w = 0
        for g in 0..<shapes.count where !shapes.meta[g].isEmpty {
            GridBuckets.forEachBucket(of: g, shapes, side, columns) { cell in
                if mark[cell] != Int32(g) { mark[cell] = Int32(g); items[Int(fill[cell])] = Int32(g); fill[cell] += 1 }
            }
            while w < whole.count && whole[w].grid == Int32(g) {
                let c = Int(whole[w].cell)
                if touchedCount[c] != 0 {
                    items[Int(fill[c])] = Int32(g)
                    fill[c] += 1
                } else if fill[c] == start[c] {
                    items[Int(fill[c])] = ~Int32(g)
                    fill[c] += 1
                }
                w += 1
            }
        }
        self.start = start
        self.items = items
    }

    /// Calls `body` for every bucket overlapped by the bounding box of one of g's edges
    /// (repeats possible).
    private static func forEachBucket(of g: Int, _ shapes: GridEdges, _ side: Int64, _ columns: Int, _ body: (Int) -> Void) {
        for k in shapes.edgeRange(g) {
            let e = shapes.edges[k]
            let c0 = Int(Int64(min(e.x1, e.x2)) / side), c1 = Int(Int64(max(e.x1, e.x2)) / side)
            let r0 = Int(Int64(min(e.y1, e.y2)) / side), r1 = Int(Int64(max(e.y1, e.y2)) / side)
            for r in r0...r1 { for c in c0...c1 { body(r * columns + c) } }
        }
    }

    /// The bucket holding a point (lattice offsets from the origin).
    @inline(__always)
    func bucket(_ px: Int64, _ py: Int64) -> Int { Int(py / side) * columns + Int(px / side) }
}
