import GridMapCore
import GridMapStores
import GridMapPlanning

/// Grid seed points: drawn by density, each the best of several candidates (farthest from
/// the points already placed, relative to the local spacing), which spreads them evenly
/// like real grid centres rather than in random clumps.
func sampleSeeds(count: Int, inside outline: Geometry, frame: Frame, density: Density, random: inout SeededRandom)
    throws -> [Coordinate]
{
    guard let box = try outline.bounds() else { throw GeometryError("empty outline") }
    let lo = frame.metres(Coordinate(box.minX, box.minY)), hi = frame.metres(Coordinate(box.maxX, box.maxY))
    let outlineIndex = try GridIndex(polygons: [try outline.shape()])
    var peak = 0.0
    for _ in 0..<4000 {
        peak = max(peak, density.at(Coordinate(random.uniform(lo.x, hi.x), random.uniform(lo.y, hi.y))))
    }
    for c in density.cores { peak = max(peak, density.at(c.center)) }
    var total = 0.0, n = 0
    for _ in 0..<20000 {
        let p = Coordinate(random.uniform(lo.x, hi.x), random.uniform(lo.y, hi.y))
        if outlineIndex.locate(frame.lonLat(p)) != nil { total += density.at(p); n += 1 }
    }
    let mean = total / Double(max(n, 1))

    func candidate() -> Coordinate {
        while true {
            let p = Coordinate(random.uniform(lo.x, hi.x), random.uniform(lo.y, hi.y))
            guard random.unit() * peak <= density.at(p) else { continue }
            if outlineIndex.locate(frame.lonLat(p)) != nil { return p }
        }
    }
    // Spacing where density equals the mean over the district.
    let area = (hi.x - lo.x) * (hi.y - lo.y) * Double(n) / 20000
    let meanSpacing = (area / Double(count)).squareRoot()
    func spacing(_ p: Coordinate) -> Double { meanSpacing * (mean / density.at(p)).squareRoot() }

    let cell = max(20, spacing(density.cores.first?.center ?? Coordinate(0, 0)))
    var buckets: [Int64: [Coordinate]] = [:]
    func key(_ i: Int, _ j: Int) -> Int64 { Int64(i) << 32 ^ Int64(j & 0xFFFF_FFFF) }
    func nearest(_ p: Coordinate, within r: Double) -> Double {
        let i0 = Int(((p.x - r) / cell).rounded(.down)), i1 = Int(((p.x + r) / cell).rounded(.down))
        let j0 = Int(((p.y - r) / cell).rounded(.down)), j1 = Int(((p.y + r) / cell).rounded(.down))
        var best = r
        guard (i1 - i0 + 1) * (j1 - j0 + 1) < 4000 else { return r }
        for i in i0...i1 { for j in j0...j1 { for q in buckets[key(i, j)] ?? [] {
            let dx = q.x - p.x, dy = q.y - p.y
            best = min(best, (dx * dx + dy * dy).squareRoot())
        } } }
        return best
    }
    var seeds: [Coordinate] = []
    for _ in 0..<count {
        var best = candidate(), bestScore = -1.0
        for _ in 0..<8 {
            let p = candidate()
            let s = spacing(p)
            let score = nearest(p, within: 2 * s) / s
            if score > bestScore { best = p; bestScore = score }
        }
        seeds.append(best)
        buckets[key(Int((best.x / cell).rounded(.down)), Int((best.y / cell).rounded(.down))), default: []].append(best)
    }
    return seeds
}
