import GridMapGeometry
import GridMapModel
import GridMapStore

/// The standard address library (标准地址库): every address of one version, indexed in
/// memory by (road, number) and by compound, plus a gazetteer of road and compound names with
/// a character-bigram index.
///
/// Why bigrams over names, not full-text search over whole addresses: a Chinese address is a
/// few structured levels, and what goes wrong in typed addresses is mostly the *name* (one
/// wrong character, 幢 for 栋, a dropped level). So the free-text part of a query is matched
/// against a few thousand names (any name sharing a character pair with it, scored by edit
/// distance), and the numbered levels are then exact look-ups in sorted lists.
///
/// Built from the version's addresses (their grids derived by that version's index) when the
/// version is first geocoded; nothing is cached on disk, so nothing on disk can be stale,
/// edited or half-written. Immutable, so every thread shares one.
public final class AddressLibrary: Sendable {
    public struct Place: Sendable {
        public let name: String
        public let isRoad: Bool
        /// road, compound, or the kind of a named place people give instead of an address
        /// (venue, service_point).
        public let kind: String
        /// The address nearest the middle of the place's addresses: its representative point.
        public let point: Coordinate
        public let grids: [String]
        public let street: String
    }

    public let version: String
    package let addresses: [Address]
    /// Door number, building and unit of each address as numbers (nil when not a number).
    package let numbers: [Int32], buildings: [Int32], units: [Int32]
    /// Addresses of each road, by number then building, unit and id.
    package let byRoad: [String: [Int32]]
    /// Addresses of each compound, by building, unit and id.
    package let byCompound: [String: [Int32]]
    package let places: [Place]
    package let placeByName: [String: Int]
    package let bigrams: [String: [Int32]]
    /// Each name and each of its one-character deletions: two names one edit apart share one
    /// (a wrong, missing or extra character), however short they are.
    package let variants: [String: [Int32]]
    package let longestName: Int
    /// Addresses by cell, for the nearest ones to a point (reverse geocoding).
    package let nearby: AddressBuckets
    /// Names that several venues or service points share, with how many: such a name alone
    /// cannot say which is meant.
    public let sharedNames: [String: Int]
    /// The kinds of resource a person may name instead of an address.
    public static let landmarkKinds: Set<String> = ["venue", "service_point"]
    public let streets: [String]
    public let communities: [String]
    /// Names by length, for prefix look-ups that cost a few hashes, not a scan of thousands.
    package let streetSet: Set<String>, streetLengths: [Int]
    package let communitySet: Set<String>, communityLengths: [Int]
    public let prefixes: [String]

    package static let none = Int32.min

    /// Indexes a dataset's addresses (their `gridID` as the snapshot derived it).
    public init(dataset: Dataset) {
        version = dataset.version
        let addresses = dataset.addresses
        self.addresses = addresses
        func int(_ s: String) -> Int32 { Int32(s).map { $0 } ?? AddressLibrary.none }
        let numbers = addresses.map { int($0.number) }, buildings = addresses.map { int($0.building) }
        let units = addresses.map { int($0.unit) }
        self.numbers = numbers; self.buildings = buildings; self.units = units
        var byRoad: [String: [Int32]] = [:], byCompound: [String: [Int32]] = [:]
        for (k, a) in addresses.enumerated() {
            byRoad[a.road, default: []].append(Int32(k))
            if !a.compound.isEmpty { byCompound[a.compound, default: []].append(Int32(k)) }
        }
        func key(_ k: Int32) -> (Int32, Int32, Int32) { (numbers[Int(k)], buildings[Int(k)], units[Int(k)]) }
        self.byRoad = byRoad.mapValues { list in
            list.sorted { a, b in key(a) != key(b) ? key(a) < key(b) : addresses[Int(a)].id < addresses[Int(b)].id }
        }
        self.byCompound = byCompound.mapValues { list in
            list.sorted { a, b in
                let x = (buildings[Int(a)], units[Int(a)]), y = (buildings[Int(b)], units[Int(b)])
                return x != y ? x < y : addresses[Int(a)].id < addresses[Int(b)].id
            }
        }
        var byPlace: [String: (isRoad: Bool, points: [Coordinate], grids: Set<String>, street: String)] = [:]
        for a in addresses {
            byPlace[a.road, default: (true, [], [], a.street)].points.append(a.location)
            byPlace[a.road]!.grids.insert(a.gridID)
            if !a.compound.isEmpty {
                byPlace[a.compound, default: (false, [], [], a.street)].points.append(a.location)
                byPlace[a.compound]!.grids.insert(a.gridID)
            }
        }
        var places = byPlace.keys.sorted().map { name in
            let p = byPlace[name]!
            let mid = Coordinate(p.points.reduce(0) { $0 + $1.x } / Double(p.points.count),
                                 p.points.reduce(0) { $0 + $1.y } / Double(p.points.count))
            let representative = p.points.min { Metric.distance(mid, $0) < Metric.distance(mid, $1) }!
            return Place(
                name: name, isRoad: p.isRoad, kind: p.isRoad ? "road" : "compound", point: representative,
                grids: p.grids.filter { !$0.isEmpty }.sorted(), street: p.street)
        }
        // Venues and service points named by people instead of an address: those whose name is
        // theirs alone (a name several share cannot say which one is meant).
        let named = dataset.resources.filter { AddressLibrary.landmarkKinds.contains($0.kind) }
        let counts = Dictionary(grouping: named, by: \.name).mapValues(\.count)
        let streetName = Dictionary(dataset.streets.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let streetOfGrid = Dictionary(
            dataset.grids.map { g in (g.id, streetName[g.streetID] ?? "") }, uniquingKeysWith: { a, _ in a })
        sharedNames = counts.filter { $0.value > 1 && byPlace[$0.key] == nil }
        let own = named.filter { counts[$0.name] == 1 && byPlace[$0.name] == nil }.sorted { $0.name < $1.name }
        places += own.map { r in
            Place(name: r.name, isRoad: false, kind: r.kind, point: r.location,
                  grids: r.locatedGridID.map { [$0] } ?? [], street: streetOfGrid[r.locatedGridID ?? ""] ?? "")
        }
        self.places = places
        placeByName = Dictionary(places.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var index: [String: [Int32]] = [:], variants: [String: [Int32]] = [:]
        for (i, p) in places.enumerated() {
            for b in Set(AddressLibrary.bigrams(of: p.name)) { index[b, default: []].append(Int32(i)) }
            for v in AddressLibrary.deletions(of: p.name) { variants[v, default: []].append(Int32(i)) }
        }
        bigrams = index
        self.variants = variants
        longestName = places.map(\.name.count).max() ?? 0
        nearby = AddressBuckets(addresses)
        streets = dataset.streets.map(\.name).sorted { $0.count > $1.count }
        communities = dataset.communities.map(\.name).sorted { $0.count > $1.count }
        streetSet = Set(streets)
        streetLengths = Set(streets.map(\.count)).sorted(by: >)
        communitySet = Set(communities)
        communityLengths = Set(communities.map(\.count)).sorted(by: >)
        prefixes = AddressNormalizer.defaultPrefixes
    }

    /// The name and each string made by deleting one of its characters.
    package static func deletions(of s: String) -> Set<String> {
        let c = Array(s)
        var out: Set<String> = [s]
        guard c.count >= 2 else { return out }
        for k in c.indices { out.insert(String(c[..<k]) + String(c[(k + 1)...])) }
        return out
    }

    package static func bigrams(of s: String) -> [String] {
        let c = Array(s)
        guard c.count >= 2 else { return c.map(String.init) }
        return (0..<(c.count - 1)).map { String(c[$0...($0 + 1)]) }
    }

    /// Addresses on `road` with door number `number` (at most `limit`).
    package func onRoad(_ road: String, number: Int, limit: Int = 400) -> [Int32] {
        guard let list = byRoad[road] else { return [] }
        let n = Int32(clamping: number)
        var lo = 0, hi = list.count
        while lo < hi { let mid = (lo + hi) / 2; if numbers[Int(list[mid])] < n { lo = mid + 1 } else { hi = mid } }
        var out: [Int32] = []
        var k = lo
        while k < list.count, numbers[Int(list[k])] == n, out.count < limit { out.append(list[k]); k += 1 }
        return out
    }

    /// The addresses on `road` whose numbers are nearest `number` (at most `limit`).
    package func nearOnRoad(_ road: String, number: Int, limit: Int = 40) -> [Int32] {
        guard let list = byRoad[road] else { return [] }
        let n = Int64(number)
        func distance(_ k: Int32) -> Int64 {
            let v = numbers[Int(k)]
            return v == AddressLibrary.none ? Int64.max : abs(Int64(v) - n)
        }
        return Array(
            list.sorted {
                distance($0) != distance($1) ? distance($0) < distance($1) : numbers[Int($0)] < numbers[Int($1)]
            }
            .prefix(limit))
    }

    /// The addresses of a compound (at most `limit`).
    package func inCompound(_ compound: String, limit: Int = 400) -> [Int32] {
        Array((byCompound[compound] ?? []).prefix(limit))
    }

    /// Names in the gazetteer that best match `text`: exact first, else by edit distance
    /// among names sharing a character pair with it. (similarity in 0…1, index)
    package func matchPlaces(_ text: String, roadsOnly: Bool? = nil, limit: Int = 3)
        -> [(similarity: Double, place: Int)]
    {
        func allowed(_ i: Int) -> Bool { roadsOnly == nil || places[i].isRoad == roadsOnly }
        if let i = placeByName[text], allowed(i) { return [(1, i)] }
        let chars = Array(text)
        // Words before the name (a misspelt or outdated community): the longest name it ends with.
        if chars.count > 2 {
            for n in stride(from: min(chars.count - 1, longestName), through: 2, by: -1) {
                if let i = placeByName[String(chars[(chars.count - n)...])], allowed(i) { return [(0.97, i)] }
            }
        }
        // One wrong, missing or extra character, in the name or in the longest ending of the
        // text that is one edit from a name.
        for n in stride(from: min(chars.count, longestName + 1), through: 2, by: -1) {
            let tail = Array(chars[(chars.count - n)...])
            var found: [Int: Double] = [:]
            for v in AddressLibrary.deletions(of: String(tail)) {
                for i in variants[v] ?? [] where allowed(Int(i)) && found[Int(i)] == nil {
                    let name = Array(places[Int(i)].name)
                    let d = editDistance(tail, name)
                    // A two-character text is only taken as a three-character name missing one,
                    // and the end of a longer text only when it keeps three characters: "北路"
                    // at the end of "解放北路" is not 北岩路.
                    if d <= 1, max(tail.count, name.count) >= 3,
                        tail.count >= 3 || tail.count == chars.count
                    {
                        found[Int(i)] = 1 - Double(d) / Double(max(tail.count, name.count))
                    }
                }
            }
            if !found.isEmpty {
                let ranked = found.sorted {
                    $0.value != $1.value ? $0.value > $1.value : places[$0.key].name < places[$1.key].name
                }
                return ranked.prefix(limit).map { ($0.value, $0.key) }
            }
        }
        // One wrong character spoils at most two bigrams, so names sharing the most bigrams
        // with the text are the ones worth an edit distance; the rest are skipped.
        var shared: [Int32: Int] = [:]
        let grams = Set(AddressLibrary.bigrams(of: text))
        for b in grams { for i in bigrams[b] ?? [] { shared[i, default: 0] += 1 } }
        let need = max(1, grams.count - 2)
        let likely = shared.filter { $0.value >= need }.sorted {
            $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key
        }.prefix(200)
        let query = Array(text)
        var scored: [(Double, Int)] = []
        for (i, _) in likely {
            let p = places[Int(i)]
            if let r = roadsOnly, p.isRoad != r { continue }
            let name = Array(p.name)
            let d = editDistance(query, name)
            let similarity = 1 - Double(d) / Double(max(query.count, name.count))
            if similarity >= 0.5 { scored.append((similarity, Int(i))) }
        }
        scored.sort { $0.0 != $1.0 ? $0.0 > $1.0 : places[$0.1].name < places[$1.1].name }
        return Array(scored.prefix(limit))
    }
}

extension AddressLibrary {
    /// The longest name of `set` that `s` starts with.
    package func longestPrefix(of s: String, in set: Set<String>, lengths: [Int]) -> String? {
        for n in lengths where n <= s.count {
            let p = String(s.prefix(n))
            if set.contains(p) { return p }
        }
        return nil
    }
}

package func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
