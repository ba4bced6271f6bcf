import Foundation

/// The standard address library (标准地址库): every address of the dataset in SQLite, with
/// B-tree indexes on (road, number, building, unit) and (compound, building, unit), plus an
/// in-memory gazetteer of road and compound names with a character-bigram index.
///
/// Why bigrams over names, not FTS5 over whole addresses: a Chinese address is a few
/// structured levels, and what goes wrong in typed addresses is mostly the *name* (one wrong
/// character, 幢 for 栋, a dropped level). So the free-text part of a query is matched against
/// a few thousand names (any name sharing a character pair with it, scored by edit distance),
/// and the numbered levels are then exact B-tree lookups: O(log n) in the library size, where
/// an FTS5 trigram query would fetch every address on a road whose name shares a trigram.
///
/// The database is built from the dataset, never edited by hand: into a temporary file that is
/// renamed into place only when complete, so a killed build leaves no half-written library.
public final class AddressLibrary: Sendable {
    public struct Place: Sendable {
        public let name: String
        public let isRoad: Bool
        /// The address nearest the middle of the place's addresses: its representative point.
        public let point: Coordinate
        public let grids: [String]
        public let street: String
    }

    public let databasePath: String
    public let version: String
    let places: [Place]
    let placeByName: [String: Int]
    let bigrams: [String: [Int32]]
    public let streets: [String]
    public let communities: [String]
    /// Names by length, for prefix look-ups that cost a few hashes, not a scan of thousands.
    let streetSet: Set<String>, streetLengths: [Int]
    let communitySet: Set<String>, communityLengths: [Int]
    public let prefixes: [String]

    /// Opens the library for a dataset, building its database under `directory` if needed.
    public init(dataset: Dataset, directory: String = NSTemporaryDirectory()) throws {
        version = dataset.version
        databasePath = directory + "/gridmap-addresses-\(dataset.version).sqlite"
        if !FileManager.default.fileExists(atPath: databasePath) {
            try AddressLibrary.build(dataset.addresses, at: databasePath, version: dataset.version)
        }
        var byPlace: [String: (isRoad: Bool, points: [Coordinate], grids: Set<String>, street: String)] = [:]
        for a in dataset.addresses {
            byPlace[a.road, default: (true, [], [], a.street)].points.append(a.location)
            byPlace[a.road]!.grids.insert(a.gridID)
            if !a.compound.isEmpty {
                byPlace[a.compound, default: (false, [], [], a.street)].points.append(a.location)
                byPlace[a.compound]!.grids.insert(a.gridID)
            }
        }
        places = byPlace.keys.sorted().map { name in
            let p = byPlace[name]!
            let mid = Coordinate(p.points.reduce(0) { $0 + $1.x } / Double(p.points.count),
                                 p.points.reduce(0) { $0 + $1.y } / Double(p.points.count))
            let representative = p.points.min { Metric.distance(mid, $0) < Metric.distance(mid, $1) }!
            return Place(name: name, isRoad: p.isRoad, point: representative, grids: p.grids.sorted(), street: p.street)
        }
        placeByName = Dictionary(uniqueKeysWithValues: places.enumerated().map { ($1.name, $0) })
        var index: [String: [Int32]] = [:]
        for (i, p) in places.enumerated() {
            for b in Set(AddressLibrary.bigrams(of: p.name)) { index[b, default: []].append(Int32(i)) }
        }
        bigrams = index
        streets = dataset.streets.map(\.name).sorted { $0.count > $1.count }
        communities = dataset.communities.map(\.name).sorted { $0.count > $1.count }
        streetSet = Set(streets)
        streetLengths = Set(streets.map(\.count)).sorted(by: >)
        communitySet = Set(communities)
        communityLengths = Set(communities.map(\.count)).sorted(by: >)
        prefixes = AddressNormalizer.defaultPrefixes
    }

    static func bigrams(of s: String) -> [String] {
        let c = Array(s)
        guard c.count >= 2 else { return c.map(String.init) }
        return (0..<(c.count - 1)).map { String(c[$0...($0 + 1)]) }
    }

    static func build(_ addresses: [Address], at path: String, version: String) throws {
        let partial = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let db = try SQLiteDatabase(path: partial)
            try db.execute("""
                PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
                CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE address(id TEXT PRIMARY KEY, text TEXT, street TEXT, community TEXT, road TEXT,
                    number INTEGER, compound TEXT, building INTEGER, unit INTEGER, room TEXT,
                    lon REAL, lat REAL, grid_id TEXT) WITHOUT ROWID;
                """)
            try db.transaction {
                let insert = try db.prepare("INSERT INTO address VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
                for a in addresses {
                    insert.reset()
                    try insert.bind(1, a.id); try insert.bind(2, a.text); try insert.bind(3, a.street)
                    try insert.bind(4, a.community); try insert.bind(5, a.road); try insert.bind(6, Int(a.number))
                    try insert.bind(7, a.compound); try insert.bind(8, Int(a.building)); try insert.bind(9, Int(a.unit))
                    try insert.bind(10, a.room); try insert.bind(11, a.location.x); try insert.bind(12, a.location.y)
                    try insert.bind(13, a.gridID)
                    _ = try insert.step()
                }
                let meta = try db.prepare("INSERT INTO meta VALUES ('version', ?)")
                try meta.bind(1, version)
                _ = try meta.step()
            }
            try db.execute("""
                CREATE INDEX address_road ON address(road, number, building, unit);
                CREATE INDEX address_compound ON address(compound, building, unit);
                ANALYZE;
                """)
        }
        try FileManager.default.moveItem(atPath: partial, toPath: path)
    }

    /// Names in the gazetteer that best match `text`: exact first, else by edit distance
    /// among names sharing a character pair with it. (similarity in 0…1, index)
    func matchPlaces(_ text: String, roadsOnly: Bool? = nil, limit: Int = 3) -> [(similarity: Double, place: Int)] {
        if let i = placeByName[text], roadsOnly == nil || places[i].isRoad == roadsOnly { return [(1, i)] }
        // One wrong character spoils at most two bigrams, so names sharing the most bigrams
        // with the text are the ones worth an edit distance; the rest are skipped.
        var shared: [Int32: Int] = [:]
        let grams = Set(AddressLibrary.bigrams(of: text))
        for b in grams { for i in bigrams[b] ?? [] { shared[i, default: 0] += 1 } }
        let need = max(1, grams.count - 2)
        let likely = shared.filter { $0.value >= need }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(200)
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
    func longestPrefix(of s: String, in set: Set<String>, lengths: [Int]) -> String? {
        for n in lengths where n <= s.count {
            let p = String(s.prefix(n))
            if set.contains(p) { return p }
        }
        return nil
    }
}

func editDistance(_ a: [Character], _ b: [Character]) -> Int {
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
