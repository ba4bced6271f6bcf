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
    /// Per grid, packed so a lookup reads one cache line per grid (this matters once the
    /// index outgrows the CPU caches). Grid g's slab k spans
    /// edges[slabStart[slabFirst + k] ..< slabStart[slabFirst + k + 1]].
    struct Meta: Sendable {
        var minX, minY, maxX, maxY, slabHeight, slabFirst: Int32
        /// An empty grid has an inverted box and matches nothing.
        var isEmpty: Bool { minX > maxX }
    }
    let meta: [Meta]
    let slabStart: [Int32]
    let edges: [Edge]

    var count: Int { meta.count }

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

        var meta = [Meta](), slabStart: [Int32] = [0], edges = [Edge]()
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
            // About three edges per slab, so a ray test reads a handful of edges.
            let slabs = max(1, own.count / 3)
            let h = max(1, (Int64(by1) - Int64(by0) + Int64(slabs)) / Int64(slabs))
            meta.append(Meta(minX: bx0, minY: by0, maxX: bx1, maxY: by1, slabHeight: Int32(h),
                             slabFirst: Int32(slabStart.count - 1)))
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
        }
        self.meta = meta; self.slabStart = slabStart; self.edges = edges
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
        let end = g + 1 < meta.count ? Int(meta[g + 1].slabFirst) : slabStart.count - 1
        return Int(slabStart[Int(meta[g].slabFirst)])..<Int(slabStart[end])
    }
}
