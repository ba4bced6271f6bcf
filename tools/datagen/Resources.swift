import GridMapCore
import GridMapStores
import GridMapPlanning

struct ResourceDraft {
    var id: String, name: String, kind: String, grid: Int, contact: String?, point: Coordinate  // lon/lat
}

/// Grid workers (at least one per grid, the extra ones in the most populous grids), law
/// enforcement staff spread over the streets by grid count, service companies in towns,
/// cameras along roads, small venues (九小场所) at doors, a service point per community.
func makeResources(
    _ d: District, layout: Layout, gridAt: (Coordinate) -> Int?, addresses: [(point: Coordinate, grid: Int)],
    random: inout SeededRandom
) -> [ResourceDraft] {
    func pointIn(_ g: Int) -> Coordinate {
        let box = d.grids[g].shape.bounds!
        while true {
            let p = GridIndex.snap(Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY)))
            if gridAt(p) == g { return p }
        }
    }
    func id(_ prefix: String, _ n: Int, _ width: Int) -> String {
        let s = String(n)
        return prefix + String(repeating: "0", count: max(0, width - s.count)) + s
    }
    var out: [ResourceDraft] = []
    var workerGrids = Array(d.grids.indices)
    workerGrids += d.grids.indices.sorted {
        d.grids[$0].population > d.grids[$1].population || (d.grids[$0].population == d.grids[$1].population && $0 < $1)
    }
    .prefix(layout.workers - d.grids.count)
    for (k, g) in workerGrids.sorted(by: { d.grids[$0].code < d.grids[$1].code }).enumerated() {
        out.append(.init(id: id("gw", k + 1, 5), name: Names.person(&random), kind: "grid_worker", grid: g,
                         contact: Names.phone(&random), point: pointIn(g)))
    }
    let perStreet = apportion(layout.enforcement, d.streets.map { Double($0.grids.count) }, floor: 1)
    var n = 0
    for (s, street) in d.streets.enumerated() {
        for _ in 0..<perStreet[s] {
            n += 1
            let g = random.pick(street.grids)
            out.append(.init(id: id("le", n, 4), name: Names.person(&random), kind: "enforcement", grid: g,
                             contact: Names.phone(&random), point: pointIn(g)))
        }
    }
    let urban = d.grids.indices.filter { d.grids[$0].urban }
    let names = Names.places(layout.companies, random: &random)
    for k in 0..<layout.companies {
        let g = random.pick(urban.isEmpty ? Array(d.grids.indices) : urban)
        out.append(
            .init(
                id: id("sc", k + 1, 3), name: "柳州市" + names[k] + random.pick(Names.companyKinds),
                kind: "service_company",
                grid: g, contact: "0772-" + String(random.int(2_000_000...3_999_999)), point: pointIn(g)))
    }
    for (k, c) in d.communities.enumerated() {
        let g = c.grids[0]
        out.append(.init(id: id("sp", k + 1, 3), name: c.name + "便民服务站", kind: "service_point", grid: g,
                         contact: "0772-" + String(random.int(2_000_000...3_999_999)), point: pointIn(g)))
    }
    guard !addresses.isEmpty else { return out }
    for k in 0..<(addresses.count / 16) {
        let a = random.pick(addresses)
        out.append(.init(id: id("cam", k + 1, 5), name: "视频监控点" + String(k + 1), kind: "camera", grid: a.grid,
                         contact: nil, point: a.point))
    }
    for k in 0..<(addresses.count / 12) {
        let a = random.pick(addresses)
        out.append(
            .init(
                id: id("ven", k + 1, 5), name: Names.person(&random).prefix(1) + "记" + random.pick(Names.venueKinds),
                kind: "venue", grid: a.grid, contact: Names.phone(&random), point: a.point))
    }
    return out
}
