import GridMapCore
import GridMapStores
import GridMapPlanning

/// Everything generated about the administrative layers, before addresses and resources.
struct District {
    struct StreetDraft { var code: String; var name: String; var kind: String; var grids: [Int] }
    struct CommunityDraft { var code: String; var name: String; var kind: String; var street: Int; var grids: [Int] }
    struct GridDraft {
        var shape: Shape
        var center: Coordinate     // metres, in the frame
        var area: Double           // m²
        var urban: Bool
        var code = "", name = ""
        var community = -1, street = -1
        var households = 0, population = 0
    }

    var outline: Shape
    var frame: Frame
    var density: Density
    var warp: Warp
    var grids: [GridDraft]
    var streets: [StreetDraft] = []
    var communities: [CommunityDraft] = []
    var neighbours: [[Int: Double]]
}

/// The real codes and names of Yufeng's nine streets and towns (public administrative
/// division codes); their boundaries here are synthetic.
let yufengStreets: [(code: String, name: String, town: Bool)] = [
    ("450203001", "天马街道", false), ("450203002", "驾鹤街道", false), ("450203003", "箭盘山街道", false),
    ("450203004", "五里亭街道", false), ("450203005", "荣军街道", false), ("450203006", "白莲街道", false),
    ("450203007", "麒麟街道", false), ("450203102", "白沙镇", true), ("450203103", "里雍镇", true),
]

struct Layout {
    var scale: Int
    var gridsTotal: Int { 674 * scale * scale }
    var urbanStreets: Int { 7 * scale * scale }
    var towns: Int { 2 * scale * scale }
    var communitiesInStreets: Int { 47 * scale * scale }  // plus one seat community per town
    var villages: Int { 21 * scale * scale }
    var population: Int { 420_000 * scale * scale }
    var workers: Int { 869 * scale * scale }
    var enforcement: Int { 157 * scale * scale }
    var companies: Int { 60 * scale * scale }
    var addresses: Int { 22_000 * scale * scale }
}

/// Builds streets and communities over the grids, then codes, names and people.
func organize(_ d: inout District, layout: Layout, districtCode: String, random: inout SeededRandom) {
    let at = d.grids.map(\.center)
    let all = Array(d.grids.indices)
    let urban = all.filter { d.grids[$0].urban }, rural = all.filter { !d.grids[$0].urban }

    // Streets: seven around each urban core, the towns spread over the countryside.
    var seeds: [Int] = []
    for core in d.density.cores {
        let near = urban.filter { d2(at[$0], core.center) < 9 * core.sigma * core.sigma }
        guard let first = near.min(by: { d2(at[$0], core.center) < d2(at[$1], core.center) }) else { continue }
        seeds += spreadOut(near, k: 7, first: first, at: at)
    }
    let urbanRegions = seeds.count
    let farthest = rural.max { a, b in
        d.density.cores.map { d2(at[a], $0.center) }.min()! < d.density.cores.map { d2(at[b], $0.center) }.min()!
    } ?? all[0]
    seeds += spreadOut(rural, k: layout.towns, first: farthest, at: at)
    var targets = apportion(urban.count, (0..<urbanRegions).map { _ in random.uniform(0.8, 1.2) })
    targets += apportion(rural.count, (urbanRegions..<seeds.count).map { _ in random.uniform(0.8, 1.2) })
    let streetOf = growRegions(members: all, seeds: seeds, targets: targets, neighbours: d.neighbours, at: at) { r, g in
        (r < urbanRegions) == d.grids[g].urban
    }
    let order = readingOrder(Array(seeds.indices), at: seeds.map { at[$0] })
    let yufeng = layout.scale == 1 && urbanRegions == 7 && seeds.count == 9
    var extraNames = Names.places(seeds.count, random: &random)
    var urbanSeen = 0, townSeen = 0
    for (k, r) in order.enumerated() {
        let town = r >= urbanRegions
        let code: String, name: String
        if yufeng {
            let entry = town ? yufengStreets[7 + townSeen] : yufengStreets[urbanSeen]
            (code, name) = (entry.code, entry.name)
        } else {
            code = districtCode + String(format3(k + 1))
            name = extraNames.removeLast() + (town ? "镇" : "街道")
        }
        if town { townSeen += 1 } else { urbanSeen += 1 }
        d.streets.append(.init(code: code, name: name, kind: town ? "town" : "street",
                               grids: all.filter { streetOf[$0] == r }))
    }
    for (s, street) in d.streets.enumerated() { for g in street.grids { d.grids[g].street = s } }

    // Communities: town seats and urban communities (社区), villages (村) in the towns.
    let urbanStreetIDs = d.streets.indices.filter { d.streets[$0].kind == "street" }
    let townIDs = d.streets.indices.filter { d.streets[$0].kind == "town" }
    let perStreet = apportion(layout.communitiesInStreets, urbanStreetIDs.map { Double(d.streets[$0].grids.count) })
    let perTown = apportion(layout.villages, townIDs.map { Double(d.streets[$0].grids.count) })
    var usedNames = Set<String>()
    for (s, street) in d.streets.enumerated() {
        let members = street.grids
        let town = street.kind == "town"
        let k = town ? 1 + perTown[townIDs.firstIndex(of: s)!] : perStreet[urbanStreetIDs.firstIndex(of: s)!]
        // Start from the street's middle, where a town seat would be.
        let mid = Coordinate(members.reduce(0) { $0 + at[$1].x } / Double(members.count),
                             members.reduce(0) { $0 + at[$1].y } / Double(members.count))
        let first = members.min { d2(at[$0], mid) < d2(at[$1], mid) }!
        let cs = spreadOut(members, k: k, first: first, at: at)
        var t: [Int]
        if town {
            let seat = min(max(3, members.count / 8), 10)
            t = [seat] + apportion(members.count - seat, (1..<cs.count).map { _ in random.uniform(0.7, 1.3) })
        } else {
            t = apportion(members.count, cs.map { _ in random.uniform(0.8, 1.2) })
        }
        let regionOf = growRegions(members: members, seeds: cs, targets: t, neighbours: d.neighbours, at: at)
        let names = Names.places(cs.count, random: &random, avoiding: usedNames)
        usedNames.formUnion(names)
        let ordered = readingOrder(Array(cs.indices), at: cs.map { at[$0] })
        var nextCommunity = 1, nextVillage = 200
        for r in ordered {
            let village = town && r != 0
            let seq = village ? nextVillage : nextCommunity
            if village { nextVillage += 1 } else { nextCommunity += 1 }
            d.communities.append(.init(code: street.code + format3(seq), name: names[r] + (village ? "村" : "社区"),
                                       kind: village ? "village" : "community", street: s,
                                       grids: members.filter { regionOf[$0] == r }))
        }
    }

    // Grids: codes in reading order inside their community; people by urban/rural weight.
    for (c, community) in d.communities.enumerated() {
        for (k, g) in readingOrder(community.grids, at: at).enumerated() {
            d.grids[g].community = c
            d.grids[g].code = community.code + format3(k + 1)
            d.grids[g].name = community.name + "第" + Names.chineseNumber(k + 1) + "网格"
        }
    }
    let weights = d.grids.map { $0.urban ? random.uniform(2.2, 3.4) : random.uniform(0.7, 1.3) }
    let people = apportion(layout.population, weights, floor: 50)
    for g in d.grids.indices {
        d.grids[g].population = people[g]
        d.grids[g].households = max(1, Int((Double(people[g]) / random.uniform(2.5, 3.1)).rounded()))
    }
}

func format3(_ n: Int) -> String { n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : "\(n)" }
