/// The grids' boundaries as exact integer edges: what `GridCells` is built from, and the one
/// place that decides how a point meets an edge.
///
/// Coordinates are integers of 1e-7 degree (about 1 cm) relative to `origin`, so every
/// test is exact: a point is on an edge or it is not. Offsets stay below 2^30, so the Int64
/// products below cannot overflow.
package struct GridEdges {
    package struct Edge {
        var x1, y1, x2, y2: Int32
        var minX: Int32 { min(x1, x2) }
        var maxX: Int32 { max(x1, x2) }
        var minY: Int32 { min(y1, y2) }
        var maxY: Int32 { max(y1, y2) }
    }

    package let originX: Int64, originY: Int64
    package let width: Int64, height: Int64
    package let boxes: [GridBox]
    /// Grid g's edges are edges[edgeStart[g] ..< edgeStart[g + 1]], each once.
    package let edgeStart: [Int]
    package let edges: [Edge]

    package var count: Int { boxes.count }

    package init(polygons: [Shape]) throws {
        let grids = polygons.map { $0.polygons.flatMap { $0 }.map { ring in ring.map(GridIndex.units) } }
        var lo = (x: Int64.max, y: Int64.max), hi = (x: Int64.min, y: Int64.min)
        for rings in grids { for r in rings { for c in r {
            lo = (min(lo.x, c.x), min(lo.y, c.y)); hi = (max(hi.x, c.x), max(hi.y, c.y))
        } } }
        guard lo.x <= hi.x else { throw GridIndex.BuildError(description: "no grid has any coordinates") }
        guard hi.x - lo.x < 1 << 30, hi.y - lo.y < 1 << 30 else {
            throw GridIndex.BuildError(description: "the grids span more than 100 degrees; split the data by region")
        }
        // One unit of margin all round: a point within a unit of the outermost boundary then
        // lies inside the extent, where the index can tell that it is near that boundary.
        lo = (lo.x - 1, lo.y - 1)
        hi = (hi.x + 1, hi.y + 1)
        originX = lo.x; originY = lo.y
        width = hi.x - lo.x + 1; height = hi.y - lo.y + 1

        var boxes = [GridBox](), edgeStart = [0], edges = [Edge]()
        for rings in grids {
            var box = GridBox.empty
            for r in rings where r.count > 1 {
                for k in 0..<(r.count - 1) where r[k] != r[k + 1] {
                    let e = Edge(x1: Int32(r[k].x - lo.x), y1: Int32(r[k].y - lo.y),
                                 x2: Int32(r[k + 1].x - lo.x), y2: Int32(r[k + 1].y - lo.y))
                    box = GridBox(minX: min(box.minX, e.minX), minY: min(box.minY, e.minY),
                                  maxX: max(box.maxX, e.maxX), maxY: max(box.maxY, e.maxY))
                    edges.append(e)
                }
            }
            boxes.append(box)
            edgeStart.append(edges.count)
        }
        self.boxes = boxes; self.edgeStart = edgeStart; self.edges = edges
    }

    package func edgeRange(_ g: Int) -> Range<Int> { edgeStart[g]..<edgeStart[g + 1] }

    /// How an edge meets the ray going east from a point P, for `reach` units: coordinates
    /// are relative to P. The ray counts an edge that crosses the line y = 0 half-open at its
    /// lower end, so a ray through a vertex counts it once or not at all, as parity needs.
    package enum Meeting { case none, crossing, onEdge }

    @inline(__always)
    package static func meet(_ ax: Int64, _ ay: Int64, _ bx: Int64, _ by: Int64, reach: Int64) -> Meeting {
        if (ay > 0) != (by > 0) {
            // The edge crosses y = 0 at x = cross / d.
            var cross = ax * by - bx * ay, d = by - ay
            if cross == 0 { return .onEdge }
            if d < 0 { cross = -cross; d = -d }
            return cross > 0 && cross <= reach * d ? .crossing : .none
        }
        if ay == 0 && by == 0 {
            return (ax <= 0 && bx >= 0) || (bx <= 0 && ax >= 0) ? .onEdge : .none  // on a horizontal edge
        }
        return (ay == 0 && ax == 0) || (by == 0 && bx == 0) ? .onEdge : .none  // on a vertex
    }

    /// Whether the point is covered by the polygon whose edges are `edges[ks]`, given that
    /// these include every edge of it that crosses or touches the point's row.
    package static func covers(_ edges: [Edge], _ ks: [Int32], _ px: Int64, _ py: Int64, reach: Int64) -> Bool {
        var inside = false
        for k in ks {
            let e = edges[Int(k)]
            switch meet(Int64(e.x1) - px, Int64(e.y1) - py, Int64(e.x2) - px, Int64(e.y2) - py, reach: reach) {
            case .onEdge: return true
            case .crossing: inside.toggle()
            case .none: break
            }
        }
        return inside
    }
}

/// A grid's bounding box in index units; an empty grid has an inverted box and matches nothing.
package struct GridBox: Sendable, BitwiseCopyable {
    package var minX, minY, maxX, maxY: Int32
    package static let empty = GridBox(minX: .max, minY: .max, maxX: .min, maxY: .min)
    package var isEmpty: Bool { minX > maxX }
}
