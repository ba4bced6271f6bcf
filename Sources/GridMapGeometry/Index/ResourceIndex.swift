/// Nearest-resource and radius queries: a static k-d tree per resource kind (and one over
/// all kinds), immutable and lock-free like `GridIndex`.
///
/// The tree splits on scaled lon/lat whose scale factors are *lower bounds* of metres per
/// degree over the data's latitudes, so a distance to a splitting plane never exceeds the
/// true distance and pruning is exact. Results are ranked by `Metric.distance` (ellipsoidal
/// radii at the mean latitude: within 1e-5 of the geodesic at district scale), ties by id.
public struct ResourceIndex: Sendable {
    package struct Tree: Sendable {
        var x: [Double] = [], y: [Double] = []   // scaled coordinates, in tree order
        var item: [Int32] = []                   // resource index, in tree order
    }

    package let trees: [String: Tree]
    package let all: Tree
    package let location: [Coordinate]
    package let rankOfID: [Int32]         // resource index → rank of its id, for tie-breaking
    package let kx: Double, ky: Double
    package let maxAbsLat: Double, minAbsLat: Double

    public struct Hit: Equatable, Sendable {
        public let resource: Int
        public let distance: Double  // metres
    }

    public init(locations: [Coordinate], kinds: [String], ids: [String]) {
        location = locations
        let lats = locations.map { abs($0.y) }
        maxAbsLat = min(89, (lats.max() ?? 0) + 2)
        minAbsLat = max(0, (lats.min() ?? 0) - 2)
        kx = Metric.metresPerDegree(atLatitude: maxAbsLat).lon
        ky = Metric.metresPerDegree(atLatitude: minAbsLat).lat
        if zip(ids, ids.dropFirst()).allSatisfy({ $0 < $1 }) {
            rankOfID = (0..<Int32(ids.count)).map { $0 }  // already in id order, as a snapshot's are
        } else {
            var rank = [Int32](repeating: 0, count: ids.count)
            for (r, i) in ids.indices.sorted(by: { ids[$0] < ids[$1] }).enumerated() { rank[i] = Int32(r) }
            rankOfID = rank
        }
        let (kx, ky) = (kx, ky)
        func build(_ members: [Int]) -> Tree {
            var order = members.map { (Int32($0), locations[$0].x * kx, locations[$0].y * ky) }
            ResourceIndex.arrange(&order[...], depth: 0)
            return Tree(x: order.map(\.1), y: order.map(\.2), item: order.map(\.0))
        }
        all = build(Array(locations.indices))
        var byKind: [String: [Int]] = [:]
        for (i, k) in kinds.enumerated() { byKind[k, default: []].append(i) }
        trees = byKind.mapValues(build)
    }

    public var kinds: [String] { trees.keys.sorted() }
    public func hasKind(_ kind: String) -> Bool { trees[kind] != nil }

    /// Median split in place: the node of a range is its middle element in the order of the
    /// level's axis (ties by resource index, so the order is total and the tree unique).
    private static func arrange(_ a: inout ArraySlice<(Int32, Double, Double)>, depth: Int) {
        guard a.count > 1 else { return }
        let mid = a.startIndex + a.count / 2
        select(&a, mid, axis: depth % 2)
        arrange(&a[a.startIndex..<mid], depth: depth + 1)
        arrange(&a[(mid + 1)..<a.endIndex], depth: depth + 1)
    }

    /// Puts at `k` the element that sorting `a` would put there, smaller ones before it and
    /// larger ones after (Hoare's selection, median-of-three pivots). Linear time: sorting
    /// every range of every level instead made the tree of 541,000 resources take 2 s.
    private static func select(_ a: inout ArraySlice<(Int32, Double, Double)>, _ k: Int, axis: Int) {
        @inline(__always) func less(_ p: (Int32, Double, Double), _ q: (Int32, Double, Double)) -> Bool {
            let (u, v) = axis == 0 ? (p.1, q.1) : (p.2, q.2)
            return u != v ? u < v : p.0 < q.0
        }
        var lo = a.startIndex, hi = a.endIndex - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if less(a[mid], a[lo]) { a.swapAt(mid, lo) }
            if less(a[hi], a[lo]) { a.swapAt(hi, lo) }
            if less(a[hi], a[mid]) { a.swapAt(hi, mid) }
            let pivot = a[mid]
            var i = lo, j = hi
            while i <= j {
                while less(a[i], pivot) { i += 1 }
                while less(pivot, a[j]) { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return }
        }
    }

    /// Per-query shrink of the bounds when the query lies outside the latitudes planned for.
    private func slack(_ q: Coordinate) -> (Double, Double) {
        let fx = abs(q.y) > maxAbsLat ? Metric.metresPerDegree(atLatitude: min(89.9, abs(q.y))).lon / kx : 1
        let fy = abs(q.y) < minAbsLat ? Metric.metresPerDegree(atLatitude: abs(q.y)).lat / ky : 1
        return (min(1, fx), min(1, fy))
    }

    private func tree(_ kind: String?) -> Tree? { kind.map { trees[$0] } ?? all }

    /// The `k` nearest resources (of `kind`, when given), nearest first, ties by id.
    public func nearest(to q: Coordinate, k: Int, kind: String? = nil, within radius: Double = .infinity) -> [Hit] {
        guard k > 0, let t = tree(kind), !t.item.isEmpty else { return [] }
        var best: [(d: Double, rank: Int32, item: Int32)] = []
        best.reserveCapacity(k + 1)
        let (fx, fy) = slack(q)
        let qx = q.x * kx, qy = q.y * ky
        let local = Metric.Local(q)
        var bound = radius
        func visit(_ lo: Int, _ hi: Int, _ depth: Int) {
            guard lo < hi else { return }
            let mid = lo + (hi - lo) / 2
            let item = t.item[mid]
            let d = local.distance(to: location[Int(item)])
            if d <= bound {
                let r = rankOfID[Int(item)]
                if best.count < k || d < best[best.count - 1].d
                    || (d == best[best.count - 1].d && r < best[best.count - 1].rank)
                {
                    var i = best.count
                    while i > 0 && (best[i - 1].d > d || (best[i - 1].d == d && best[i - 1].rank > r)) { i -= 1 }
                    best.insert((d, r, item), at: i)
                    if best.count > k { best.removeLast() }
                    if best.count == k { bound = min(radius, best[k - 1].d) }
                }
            }
            let delta = depth % 2 == 0 ? (qx - t.x[mid]) * fx : (qy - t.y[mid]) * fy
            let (near, far) = delta < 0 ? ((lo, mid), (mid + 1, hi)) : ((mid + 1, hi), (lo, mid))
            visit(near.0, near.1, depth + 1)
            if abs(delta) <= bound { visit(far.0, far.1, depth + 1) }
        }
        visit(0, t.item.count, 0)
        return best.map { Hit(resource: Int($0.item), distance: $0.d) }
    }

    /// Every resource (of `kind`) within `radius` metres, nearest first, ties by id.
    public func within(_ radius: Double, of q: Coordinate, kind: String? = nil) -> [Hit] {
        guard radius >= 0, let t = tree(kind), !t.item.isEmpty else { return [] }
        var hits: [(d: Double, rank: Int32, item: Int32)] = []
        let (fx, fy) = slack(q)
        let qx = q.x * kx, qy = q.y * ky
        let local = Metric.Local(q)
        func visit(_ lo: Int, _ hi: Int, _ depth: Int) {
            guard lo < hi else { return }
            let mid = lo + (hi - lo) / 2
            let item = t.item[mid]
            let d = local.distance(to: location[Int(item)])
            if d <= radius { hits.append((d, rankOfID[Int(item)], item)) }
            let delta = depth % 2 == 0 ? (qx - t.x[mid]) * fx : (qy - t.y[mid]) * fy
            if delta >= -radius { visit(mid + 1, hi, depth + 1) }
            if delta <= radius { visit(lo, mid, depth + 1) }
        }
        visit(0, t.item.count, 0)
        hits.sort { $0.d != $1.d ? $0.d < $1.d : $0.rank < $1.rank }
        return hits.map { Hit(resource: Int($0.item), distance: $0.d) }
    }
}
