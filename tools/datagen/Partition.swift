import GridMapCore
import GridMapStores
import GridMapPlanning

/// Cuts the outline into one polygon per seed: Voronoi cells, densified and bent by the warp
/// (so boundaries wander like real ones), clipped to the outline, with any piece cut off
/// from its seed by the outline's bays handed to the neighbour it shares most border with.
/// Returns lon/lat shapes snapped to the 1e-7° lattice, in seed order.
func partition(seeds: [Coordinate], outline: Geometry, frame: Frame, warp: Warp, step: (Coordinate) -> Double)
    throws -> [Shape]
{
    let ctx = outline.context
    guard let box = try outline.bounds() else { throw GeometryError("empty outline") }
    let lo = frame.metres(Coordinate(box.minX, box.minY)), hi = frame.metres(Coordinate(box.maxX, box.maxY))
    let margin = 5000.0
    let envelope = try ctx.geometry(.polygon([BoundingBox(minX: lo.x - margin, minY: lo.y - margin,
                                                          maxX: hi.x + margin, maxY: hi.y + margin).ring]))
    let cells = try ctx.geometry(.multiPoint(seeds)).voronoiCells(envelope: envelope).parts()

    // GEOS returns cells in its own order: match each to the seed inside it.
    var bucket: [Int64: [Int]] = [:]
    let side = 500.0
    func key(_ p: Coordinate) -> Int64 {
        Int64((p.x / side).rounded(.down)) << 32 ^ (Int64((p.y / side).rounded(.down)) & 0xFFFF_FFFF)
    }
    for (i, s) in seeds.enumerated() { bucket[key(s), default: []].append(i) }
    var cellOf = [Shape?](repeating: nil, count: seeds.count)
    for cell in cells {
        guard let b = try cell.bounds() else { continue }
        var found: Int?
        var x = (b.minX / side).rounded(.down) * side
        search: while x <= b.maxX {
            var y = (b.minY / side).rounded(.down) * side
            while y <= b.maxY {
                for i in bucket[key(Coordinate(x, y))] ?? [] where cellOf[i] == nil {
                    if try cell.covers(try ctx.geometry(.point(seeds[i]))) { found = i; break search }
                }
                y += side
            }
            x += side
        }
        guard let i = found else { throw GeometryError("a Voronoi cell has no seed") }
        cellOf[i] = try cell.shape()
    }

    // Densify every edge the same way from both sides (from its lexicographically smaller
    // end), so that neighbours keep identical vertices, then warp and clip.
    func densify(_ ring: [Coordinate]) -> [Coordinate] {
        var out: [Coordinate] = []
        for k in 0..<(ring.count - 1) {
            let p = ring[k], q = ring[k + 1]
            let forward = (p.x, p.y) < (q.x, q.y)
            let a = forward ? p : q, b = forward ? q : p
            let len = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
            let n = max(1, Int((len / step(Coordinate((a.x + b.x) / 2, (a.y + b.y) / 2))).rounded(.up)))
            var inner = (1..<n).map { i in
                Coordinate(a.x + (b.x - a.x) * Double(i) / Double(n), a.y + (b.y - a.y) * Double(i) / Double(n))
            }
            if !forward { inner.reverse() }
            out.append(p)
            out.append(contentsOf: inner)
        }
        out.append(ring[ring.count - 1])
        return out
    }
    var mains = [Geometry]()
    var orphans = [Geometry]()
    for (i, cell) in cellOf.enumerated() {
        guard case .polygon(let rings)? = cell else { throw GeometryError("cell \(i) is not a polygon") }
        let bent = Shape.polygon(rings.map { densify($0).map { frame.lonLat(warp.apply($0)) } })
        let clipped = try ctx.geometry(bent).intersection(outline)
        var pieces = try clipped.parts().filter { $0.typeID == 3 }
        let seed = try ctx.geometry(.point(frame.lonLat(warp.apply(seeds[i]))))
        let home =
            try pieces.firstIndex { try $0.covers(seed) }
            ?? pieces.indices.max { try! pieces[$0].area() < pieces[$1].area() }
        guard let home else { throw GeometryError("cell \(i) lies outside the outline") }
        mains.append(pieces.remove(at: home))
        orphans.append(contentsOf: pieces)
    }
    // Hand each orphan to the grid it shares the longest border with.
    var pending = orphans
    while !pending.isEmpty {
        var left: [Geometry] = []
        for orphan in pending {
            let edge = try orphan.boundary()
            guard let ob = try orphan.bounds() else { continue }
            var best: (Int, Double)? = nil
            for (j, m) in mains.enumerated() {
                guard let mb = try m.bounds(), mb.minX <= ob.maxX, mb.maxX >= ob.minX, mb.minY <= ob.maxY,
                    mb.maxY >= ob.minY
                else { continue }
                let shared = try edge.intersection(m).length()
                if shared > 0, shared > (best?.1 ?? 0) { best = (j, shared) }
            }
            if let (j, _) = best { mains[j] = try mains[j].union(orphan) } else { left.append(orphan) }
        }
        if left.count == pending.count { throw GeometryError("\(left.count) piece(s) touch no grid") }
        pending = left
    }
    return try mains.map { g in
        let snapped = try onLattice(g)
        let validity = try snapped.validity()
        guard validity.isValid else { throw GeometryError("generated grid invalid: \(validity.description)") }
        return try snapped.shape()
    }
}
