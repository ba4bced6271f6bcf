import GridMapCore
import GridMapStores
import GridMapPlanning

/// Grids sharing at least one boundary segment, with the shared length in lattice units.
/// Segments are compared exactly, which works because neighbours carry identical vertices.
func adjacency(_ shapes: [Shape]) -> [[Int: Double]] {
    struct Key: Hashable { let ax, ay, bx, by: Int64 }
    var owner: [Key: Int] = [:]
    var result = [[Int: Double]](repeating: [:], count: shapes.count)
    for (g, shape) in shapes.enumerated() {
        for ring in shape.polygons.flatMap({ $0 }) where ring.count > 1 {
            for k in 0..<(ring.count - 1) {
                let p = (Int64((ring[k].x * 1e7).rounded()), Int64((ring[k].y * 1e7).rounded()))
                let q = (Int64((ring[k + 1].x * 1e7).rounded()), Int64((ring[k + 1].y * 1e7).rounded()))
                let key = p < q ? Key(ax: p.0, ay: p.1, bx: q.0, by: q.1) : Key(ax: q.0, ay: q.1, bx: p.0, by: p.1)
                if let h = owner[key], h != g {
                    let len = (Double(p.0 - q.0) * Double(p.0 - q.0) + Double(p.1 - q.1) * Double(p.1 - q.1))
                        .squareRoot()
                    result[g][h, default: 0] += len
                    result[h][g, default: 0] += len
                } else {
                    owner[key] = g
                }
            }
        }
    }
    return result
}

/// Splits `members` into contiguous regions grown from `seeds` over the adjacency graph,
/// each taking its nearest frontier grid in turn (the region furthest below its target
/// first), so regions are compact blobs of about the target sizes. Grids left over (cut
/// off, or all regions full) join an adjacent region. Returns the region of each member.
func growRegions(members: [Int], seeds: [Int], targets: [Int], neighbours: [[Int: Double]], at: [Coordinate],
                 allowed: (Int, Int) -> Bool = { _, _ in true }) -> [Int: Int]
{
    let memberSet = Set(members)
    var region: [Int: Int] = [:]
    var counts = [Int](repeating: 0, count: seeds.count)
    var frontier = [Set<Int>](repeating: [], count: seeds.count)
    func claim(_ g: Int, _ r: Int) {
        region[g] = r
        counts[r] += 1
        for h in neighbours[g].keys where memberSet.contains(h) && region[h] == nil && allowed(r, h) {
            frontier[r].insert(h)
        }
    }
    for (r, s) in seeds.enumerated() where region[s] == nil { claim(s, r) }
    // Frontier sets may hold grids another region has taken since; they are dropped when met.
    while true {
        var pick: Int? = nil
        var ratio = Double.infinity
        for r in seeds.indices where counts[r] < targets[r] && !frontier[r].isEmpty {
            let q = Double(counts[r]) / Double(max(1, targets[r]))
            if q < ratio { ratio = q; pick = r }
        }
        guard let r = pick else { break }
        let s = at[seeds[r]]
        let g = frontier[r].min { a, b in
            let da = d2(at[a], s), db = d2(at[b], s)
            return da != db ? da < db : a < b
        }!
        frontier[r].remove(g)
        if region[g] == nil { claim(g, r) }
    }
    var left = members.filter { region[$0] == nil }
    while !left.isEmpty {
        var still: [Int] = []
        for g in left {
            let options = neighbours[g].keys.compactMap { region[$0] }
            if let r = options.min(by: { counts[$0] != counts[$1] ? counts[$0] < counts[$1] : $0 < $1 }) {
                region[g] = r
                counts[r] += 1
            } else {
                still.append(g)
            }
        }
        if still.count == left.count {  // an island: join the region with the nearest seed
            for g in still {
                let r = seeds.indices.min {
                    (at[seeds[$0]].x - at[g].x).magnitude + (at[seeds[$0]].y - at[g].y).magnitude
                        < (at[seeds[$1]].x - at[g].x).magnitude + (at[seeds[$1]].y - at[g].y).magnitude
                }!
                region[g] = r
                counts[r] += 1
            }
            break
        }
        left = still
    }
    return region
}

/// Farthest-point sampling: `k` members spread out, starting from `first`.
func spreadOut(_ members: [Int], k: Int, first: Int, at: [Coordinate]) -> [Int] {
    var chosen = [first]
    var dist = members.map { d2(at[$0], at[first]) }
    while chosen.count < min(k, members.count) {
        let i = dist.indices.max { dist[$0] != dist[$1] ? dist[$0] < dist[$1] : members[$0] > members[$1] }!
        chosen.append(members[i])
        for j in members.indices { dist[j] = min(dist[j], d2(at[members[j]], at[members[i]])) }
    }
    return chosen
}

func d2(_ a: Coordinate, _ b: Coordinate) -> Double { (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y) }

/// Reading order for codes: rows from north to south, west to east within a row.
func readingOrder(_ items: [Int], at: [Coordinate]) -> [Int] {
    guard let box = BoundingBox(items.map { at[$0] }), items.count > 1 else { return items }
    let band = max(1, (((box.maxX - box.minX) * (box.maxY - box.minY)) / Double(items.count)).squareRoot())
    return items.sorted { a, b in
        let ra = Int(((box.maxY - at[a].y) / band).rounded(.down)),
            rb = Int(((box.maxY - at[b].y) / band).rounded(.down))
        return ra != rb ? ra < rb : (at[a].x != at[b].x ? at[a].x < at[b].x : a < b)
    }
}

/// Splits `total` into parts proportional to `weights` (largest remainder), each ≥ `floor`.
func apportion(_ total: Int, _ weights: [Double], floor: Int = 1) -> [Int] {
    let sum = weights.reduce(0, +)
    let free = total - floor * weights.count
    let exact = weights.map { Double(free) * $0 / sum }
    var parts = exact.map { Int($0.rounded(.down)) + floor }
    var remainder = total - parts.reduce(0, +)
    for i in exact.indices.sorted(by: { exact[$0] - exact[$0].rounded(.down) > exact[$1] - exact[$1].rounded(.down) })
    where remainder > 0 {
        parts[i] += 1
        remainder -= 1
    }
    return parts
}
