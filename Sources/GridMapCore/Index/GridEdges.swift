/// The grids' boundaries as integer edges, grouped per grid into horizontal slabs: the
/// exact point-in-polygon half of `GridIndex`.
///
/// Coordinates are integers of 1e-7 degree (about 1 cm) relative to `origin`, so every
/// test below is exact: a point is on an edge or it is not. Offsets stay below 2^30, so
/// the Int64 cross products cannot overflow.
struct GridEdges: Sendable {
    struct Edge: Sendable {
        var x1, y1, x2, y2: Int32
    }

    let originX: Int64, originY: Int64
    let width: Int64, height: Int64
    let minX: [Int32], minY: [Int32], maxX: [Int32], maxY: [Int32]
    let slabHeight: [Int32]
    /// Grid g's slabs are slabStart[slabFirst[g] ..< slabFirst[g+1]] (+1 for the end bound).
    let slabFirst: [Int32]
    let slabStart: [Int32]
    let edges: [Edge]
    /// The same per-grid numbers packed together: a lookup reads one cache line per grid,
    /// not six arrays (this matters once the index outgrows the CPU caches).
    struct Meta: Sendable {
        var minX, minY, maxX, maxY, slabHeight, slabFirst: Int32
    }
    let meta: [Meta]

    var count: Int { minX.count }

    init(polygons: [Shape]) throws {
        let grids = polygons.map { $0.polygons.flatMap { $0 }.map { ring in ring.map(GridIndex.units) } }
        var lo = (x: Int64.max, y: Int64.max), hi = (x: Int64.min, y: Int64.min)
        for rings in grids { for r in rings { for c in r {
            lo = (min(lo.x, c.x), min(lo.y, c.y)); hi = (max(hi.x, c.x), max(hi.y, c.y))
        } } }
        guard lo.x <= hi.x else { throw GridIndex.BuildError(description: "no grid has any coordinates") }
        guard hi.x - lo.x < 1 << 30, hi.y - lo.y < 1 << 30 else {
            throw GridIndex.BuildError(description: "the grids span more than 100 degrees; split the data by region")
        }
        originX = lo.x; originY = lo.y
        width = hi.x - lo.x + 1; height = hi.y - lo.y + 1

        var minX = [Int32](), minY = [Int32](), maxX = [Int32](), maxY = [Int32]()
        var slabHeight = [Int32](), slabFirst: [Int32] = [0], slabStart: [Int32] = [0], edges = [Edge]()
        for rings in grids {
            var own = [Edge]()
            for r in rings where r.count > 1 {
                for k in 0..<(r.count - 1) where r[k] != r[k + 1] {
                    own.append(Edge(x1: Int32(r[k].x - lo.x), y1: Int32(r[k].y - lo.y),
                                    x2: Int32(r[k + 1].x - lo.x), y2: Int32(r[k + 1].y - lo.y)))
                }
            }
            var bx0 = Int32.max, by0 = Int32.max, bx1 = Int32.min, by1 = Int32.min
            for e in own {
                bx0 = min(bx0, e.x1, e.x2); bx1 = max(bx1, e.x1, e.x2)
                by0 = min(by0, e.y1, e.y2); by1 = max(by1, e.y1, e.y2)
            }
            if own.isEmpty { bx0 = 1; by0 = 1; bx1 = 0; by1 = 0 }  // an empty box matches nothing
            minX.append(bx0); minY.append(by0); maxX.append(bx1); maxY.append(by1)
            // About three edges per slab, so a ray test reads a handful of edges.
            let slabs = max(1, own.count / 3)
            let h = max(1, (Int64(by1) - Int64(by0) + Int64(slabs)) / Int64(slabs))
            slabHeight.append(Int32(h))
            var lists = [[Edge]](repeating: [], count: slabs)
            for e in own {
                let s0 = Int((Int64(min(e.y1, e.y2)) - Int64(by0)) / h)
                let s1 = min(slabs - 1, Int((Int64(max(e.y1, e.y2)) - Int64(by0)) / h))
                for s in s0...s1 { lists[s].append(e) }
            }
            for l in lists {
                edges.append(contentsOf: l)
                slabStart.append(Int32(edges.count))
            }
            slabFirst.append(Int32(slabStart.count - 1))
        }
        self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY
        self.slabHeight = slabHeight; self.slabFirst = slabFirst; self.slabStart = slabStart; self.edges = edges
        meta = minX.indices.map {
            Meta(minX: minX[$0], minY: minY[$0], maxX: maxX[$0], maxY: maxY[$0], slabHeight: slabHeight[$0], slabFirst: slabFirst[$0])
        }
    }

    /// Whether grid g's closed polygon (interior or boundary) contains the point.
    @inline(__always)
    func covers(_ g: Int, _ px: Int32, _ py: Int32) -> Bool {
        let m = meta[g]
        guard px >= m.minX, px <= m.maxX, py >= m.minY, py <= m.maxY else { return false }
        let s = Int(m.slabFirst) + Int((py - m.minY) / m.slabHeight)
        var inside = false
        let x = Int64(px), y = Int64(py)
        return edges.withUnsafeBufferPointer { e in
            for k in Int(slabStart[s])..<Int(slabStart[s + 1]) {
                let edge = e[k]
                let ax = Int64(edge.x1) - x, ay = Int64(edge.y1) - y
                let bx = Int64(edge.x2) - x, by = Int64(edge.y2) - y
                if (ay > 0) != (by > 0) {
                    // The edge crosses the line y = py (half-open at its lower end).
                    let cross = ax * by - bx * ay
                    if cross == 0 { return true }              // the point is on the edge
                    if (cross > 0) == (by > ay) { inside.toggle() }  // it crosses to the east
                } else if ay == 0 && by == 0 {
                    if (ax <= 0 && bx >= 0) || (bx <= 0 && ax >= 0) { return true }  // on a horizontal edge
                } else if (ay == 0 && ax == 0) || (by == 0 && bx == 0) {
                    return true                                    // on a vertex
                }
            }
            return inside
        }
    }

    /// Edges of grid g, for building buckets.
    func edgeRange(_ g: Int) -> Range<Int> {
        Int(slabStart[Int(slabFirst[g])])..<Int(slabStart[Int(slabFirst[g + 1])])
    }
}
