import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// Who and what follows the area when grids are redrawn: households and population, and the
/// staff assigned to a grid that is retired.
///
/// Households and population are not counted per address in the data, so new figures are
/// estimated from the addresses: a grid whose area is divided passes its figures on in
/// proportion to its addresses that each new grid receives (by area when it has none),
/// rounded so that the totals are kept. Such grids are marked `estimated: "households,population"` until
/// the planner enters their figures (`set … households|population`). A merge adds up.
struct Succession {
    /// For each old grid, the share each new grid receives: its addresses, or (for a grid
    /// without addresses) its area.
    private(set) var flow: [String: [String: Double]] = [:]
    /// For each old grid, the new grid holding its largest share (its successor).
    private(set) var successor: [String: String] = [:]

    /// `before` and `after` describe the same area; `addresses` gives the base's points in a box.
    init(before: [String: Shape], after: [String: Shape], addresses: (BoundingBox) throws -> [Coordinate]) throws {
        let oldIDs = before.keys.sorted()
        let newIDs = after.keys.sorted()
        let oldIndex = try GridIndex(polygons: oldIDs.map { before[$0]! })
        let newIndex = try GridIndex(polygons: newIDs.map { after[$0]! })
        var box: BoundingBox?
        for s in before.values { if let b = s.bounds { box == nil ? (box = b) : box!.include(b) } }
        if let box {
            for p in try addresses(box) where box.contains(p) {
                guard let o = oldIndex.locate(p), let n = newIndex.locate(p) else { continue }
                flow[oldIDs[o], default: [:]][newIDs[n], default: 0] += 1
            }
        }
        let geos = ThreadResources.current.geos
        for id in oldIDs {
            if let shares = flow[id], let top = shares.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) {
                successor[id] = top.key
                continue
            }
            // No address: shared by area.
            let old = try geos.geometry(before[id]!)
            var shares: [String: Double] = [:]
            for n in newIDs {
                let a = try old.intersection(try geos.geometry(after[n]!)).area()
                if a > 0 { shares[n] = a }
            }
            if let top = shares.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) {
                successor[id] = top.key
                flow[id] = shares
            }
        }
    }

    /// The new grids' households and population, and whether each is an estimate.
    func figures(
        old: [String: Grid], new ids: [String]
    ) -> [String: (households: Int, population: Int, estimated: Bool)] {
        var out: [String: (households: Int, population: Int, estimated: Bool)] = [:]
        for id in ids { out[id] = (0, 0, false) }
        for (o, shares) in flow {
            guard let g = old[o] else { continue }
            let targets = shares.keys.sorted()
            let total = shares.values.reduce(0, +)
            let weights = targets.map { total == 0 ? ($0 == successor[o] ? 1.0 : 0) : shares[$0]! }
            let h = Succession.apportion(g.households, weights)
            let p = Succession.apportion(g.population, weights)
            let divided = weights.filter { $0 > 0 }.count > 1
            for (k, t) in targets.enumerated() where out[t] != nil {
                out[t]!.households += h[k]
                out[t]!.population += p[k]
                if divided { out[t]!.estimated = true }
            }
        }
        return out
    }

    /// `total` split in proportion to `weights` by largest remainder: the parts add up.
    static func apportion(_ total: Int, _ weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        guard sum > 0 else { return weights.map { _ in 0 } }
        let exact = weights.map { Double(total) * $0 / sum }
        var parts = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { (exact[$0] - Double(parts[$0]), $1) > (exact[$1] - Double(parts[$1]), $0) }
        for k in order.prefix(total - parts.reduce(0, +)) { parts[k] += 1 }
        return parts
    }
}
