import GridMapCore
import GridMapStores
import GridMapPlanning

struct Road { var name: String; var points: [Coordinate] }  // metres in the frame

/// Roads: around each urban core two crossing families of straight streets (bent by the
/// same warp as the boundaries), and in the countryside a road from each village to its
/// town seat. Only the stretches inside the district are kept.
func makeRoads(_ d: District, inside: (Coordinate) -> Bool, random: inout SeededRandom) -> [Road] {
    var lines: [[Coordinate]] = []
    for core in d.density.cores {
        let angle = random.uniform(0.2, 0.6)
        let reach = 3.2 * core.sigma
        for family in 0..<2 {
            let a = angle + Double(family) * .pi / 2
            let along = Coordinate(_cosd(a), _sind(a)), across = Coordinate(-_sind(a), _cosd(a))
            var offset = -reach
            while offset <= reach {
                var line: [Coordinate] = []
                var t = -reach
                while t <= reach {
                    line.append(d.warp.apply(Coordinate(core.center.x + along.x * t + across.x * offset,
                                                        core.center.y + along.y * t + across.y * offset)))
                    t += 25
                }
                lines.append(line)
                offset += random.uniform(260, 420)
            }
        }
    }
    let urbanLines = lines.count
    // Country roads: a minimum spanning tree over each town's seat and villages.
    for t in d.streets.indices where d.streets[t].kind == "town" {
        let stops = d.communities.filter { $0.street == t }.compactMap { c -> Coordinate? in
            guard let g = c.grids.min(by: { d.grids[$0].area < d.grids[$1].area }) else { return nil }
            return d.grids[g].center
        }
        guard stops.count > 1 else { continue }
        var inTree = [true] + [Bool](repeating: false, count: stops.count - 1)
        for _ in 1..<stops.count {
            var best: (Int, Int, Double)? = nil
            for i in stops.indices where inTree[i] { for j in stops.indices where !inTree[j] {
                let dist = d2(stops[i], stops[j])
                if dist < best?.2 ?? .infinity { best = (i, j, dist) }
            } }
            guard let (i, j, _) = best else { break }
            inTree[j] = true
            let a = stops[i], b = stops[j]
            let n = max(2, Int((d2(a, b).squareRoot() / 25).rounded(.up)))
            lines.append(
                (0...n).map { k in
                    d.warp.apply(
                        Coordinate(a.x + (b.x - a.x) * Double(k) / Double(n), a.y + (b.y - a.y) * Double(k) / Double(n))
                    )
                })
        }
    }
    // Keep the longest run of each line inside the district (urban lines: inside the town too).
    var runs: [[Coordinate]] = []
    for (k, line) in lines.enumerated() {
        var best: [Coordinate] = [], current: [Coordinate] = []
        for p in line {
            let keep = inside(p) && (k >= urbanLines || d.density.at(p) > 12 * d.density.rural)
            if keep { current.append(p) } else { if current.count > best.count { best = current }; current = [] }
        }
        if current.count > best.count { best = current }
        if best.count >= 12 { runs.append(best) }
    }
    let names = Names.places(runs.count, random: &random)
    return runs.enumerated().map { k, run in
        Road(name: names[k] + (k % 9 == 0 ? "大道" : random.pick(Names.roadSuffixes)), points: run)
    }
}

struct AddressDraft {
    var road: String, number: Int, compound: String, building: Int, unit: Int
    var point: Coordinate  // metres
}

/// Door numbers along each road, odd on the left and even on the right; in towns about a
/// fifth of the doors are residential compounds whose buildings and units get addresses of
/// their own.
func makeAddresses(
    _ roads: [Road], stride: Int, urban: (Coordinate) -> Bool, random: inout SeededRandom
) -> [AddressDraft] {
    // Road points are 25 m apart; a door on each side every `stride` points.
    var out: [AddressDraft] = []
    var compoundNames = Names.places(4096, random: &random)
    for road in roads {
        var numbers = [1, 2]
        var k = stride / 2
        while k + 1 < road.points.count {
            let p = road.points[k], q = road.points[k + 1]
            let len = max(1e-9, d2(p, q).squareRoot())
            let normal = Coordinate(-(q.y - p.y) / len, (q.x - p.x) / len)
            for side in 0..<2 {
                let sign = side == 0 ? 1.0 : -1.0
                let door = Coordinate(p.x + normal.x * 14 * sign, p.y + normal.y * 14 * sign)
                let number = numbers[side]
                numbers[side] += 2
                if urban(door) && random.unit() < 0.2 {
                    let name = compoundNames.popLast() ?? "幸福"
                    let suffix = random.pick(Names.compoundSuffixes)
                    for b in 1...random.int(2...9) {
                        let centre = Coordinate(
                            door.x + normal.x * sign * random.uniform(20, 90) + random.uniform(-40, 40),
                            door.y + normal.y * sign * random.uniform(20, 90) + random.uniform(-40, 40))
                        for u in 1...random.int(1...3) {
                            out.append(
                                .init(
                                    road: road.name, number: number, compound: name + suffix, building: b, unit: u,
                                    point: Coordinate(centre.x + Double(u) * 6, centre.y)))
                        }
                    }
                } else {
                    out.append(.init(road: road.name, number: number, compound: "", building: 0, unit: 0, point: door))
                }
            }
            k += stride
        }
    }
    return out
}
