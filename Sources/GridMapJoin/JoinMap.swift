import Synchronization
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapStores
import GridMapCore

/// One version's map, made ready to append columns to millions of rows: the grid index, and
/// for each run of grid columns their bytes for every grid, serialized once (a row then costs
/// one lookup and one copy).
package final class JoinMap: Sendable {
    package let grids: GridIndex
    /// Per run of consecutive grid columns (`JoinLayout.segments`), per grid and, last, for no
    /// grid: `,a,b` (CSV) and `,"k":"a","l":"b"` (JSON).
    package let csv: [PackedBytes], json: [PackedBytes]
    /// Each grid's street, as an index into `streets`; -1 for none.
    package let streetOfGrid: [Int32]
    package let streets: [(id: String, name: String)]
    /// The route columns, when the join routes (`--category`) and this version has a catalogue.
    package let routes: JoinRoutes?
    package var outside: Int { streetOfGrid.count }

    package init(_ snapshot: Snapshot, layout: JoinLayout) {
        grids = snapshot.grids
        routes = layout.routed ? snapshot.departmentUnits.map(JoinRoutes.init) : nil
        let data = snapshot.dataset
        let streetIndex = Dictionary(uniqueKeysWithValues: data.streets.enumerated().map { ($1.id, Int32($0)) })
        streets = data.streets.map { ($0.id, $0.name) }
        streetOfGrid = data.grids.map { streetIndex[$0.streetID] ?? -1 }
        var csv: [PackedBytes] = [], json: [PackedBytes] = []
        for case .grid(let run) in layout.segments {
            let values = { @Sendable (g: Int) -> [String?] in
                run.map { g < data.grids.count ? JoinMap.value($0, grid: g, snapshot) : nil }
            }
            csv.append(PackedBytes(count: data.grids.count + 1) { g in
                var out: [UInt8] = []
                for v in values(g) {
                    out.append(CSVScanner.comma)
                    CSVScanner.appendField((v ?? "").utf8, to: &out)
                }
                return out
            })
            json.append(PackedBytes(count: data.grids.count + 1) { g in
                var out: [UInt8] = []
                for (column, v) in zip(run, values(g)) {
                    out.append(CSVScanner.comma)
                    JSONValue.appendString(column.rawValue, to: &out)
                    out.append(UInt8(ascii: ":"))
                    if let v { JSONValue.appendString(v, to: &out) } else { out.appendText("null") }
                }
                return out
            })
        }
        (self.csv, self.json) = (csv, json)
    }

    private static func value(_ column: JoinColumn, grid g: Int, _ snapshot: Snapshot) -> String {
        let grid = snapshot.dataset.grids[g]
        switch column {
        case .gridID: return grid.id
        case .gridName: return grid.name
        case .communityID: return grid.communityID
        case .communityName: return snapshot.community(of: g)?.name ?? ""
        case .streetID: return grid.streetID
        case .streetName: return snapshot.street(of: g)?.name ?? ""
        case .workers: return snapshot.workers(of: g).map(\.name).joined(separator: ";")
        case .workerPhones: return snapshot.workers(of: g).compactMap(\.contact).joined(separator: ";")
        case .version: return snapshot.version
        case .wgs84Lon, .wgs84Lat: preconditionFailure("a per-row column")
        }
    }
}

/// The appended columns as runs: grid columns that go together are copied as one fragment.
package struct JoinLayout: Sendable {
    package enum Segment: Sendable {
        case grid([JoinColumn])
        case row(JoinColumn)
    }

    package let segments: [Segment]
    /// The route columns follow (`--category`).
    package let routed: Bool

    package init(_ columns: [JoinColumn], routed: Bool = false) {
        self.routed = routed
        var segments: [Segment] = []
        for c in columns {
            if c.isPerRow {
                segments.append(.row(c))
            } else if case .grid(let run) = segments.last {
                segments[segments.count - 1] = .grid(run + [c])
            } else {
                segments.append(.grid([c]))
            }
        }
        self.segments = segments
    }
}

/// The maps a join assigns rows in: one version, or (rows with dates) whichever version was
/// live on each row's date, read from the store the first time a row needs it and kept.
/// Memory then grows with the number of versions the dates fall in, each one grid index.
public final class JoinMaps: Sendable {
    package let layout: JoinLayout
    private let single: JoinMap?
    private let store: String?
    /// Versions by publication time: `versionAt[k]` was live from `publishedMs[k]`.
    private let publishedMs: [Int64], versionAt: [Int]
    private let cache = Mutex<[Int: JoinMap]>([:])
    /// The head version's snapshot: the geocoder's library, and the map for undated rows.
    public let head: Snapshot

    /// Every row in `snapshot`'s version.
    public init(snapshot: Snapshot, columns: [JoinColumn], routed: Bool = false) {
        layout = JoinLayout(columns, routed: routed)
        head = snapshot
        single = JoinMap(snapshot, layout: layout)
        store = nil
        publishedMs = []; versionAt = []
    }

    /// Each row in the version of `store` live on its date.
    public init(store path: String, columns: [JoinColumn], routed: Bool = false) throws {
        layout = JoinLayout(columns, routed: routed)
        store = path
        single = nil
        let versions = try Stores.open(path, readOnly: true).versions().sorted { $0.publishedMs < $1.publishedMs }
        guard !versions.isEmpty else { throw JoinError("the store \(path) has no version") }
        // The version live at a moment is the newest published by then (as `resolve(asOf:)`).
        var ms: [Int64] = [], ids: [Int] = [], newest = 0
        for v in versions {
            newest = max(newest, v.id)
            ms.append(v.publishedMs); ids.append(newest)
        }
        publishedMs = ms; versionAt = ids
        head = try Snapshot.load(store: path, version: ids.last!)
        cache.withLock { $0[ids.last!] = JoinMap(head, layout: layout) }
    }

    package var isDated: Bool { single == nil }

    /// The map of every row (undated joins).
    package var only: JoinMap { single ?? cache.withLock { $0[versionAt.last!]! } }

    /// The version live at `ms` (milliseconds since 1970), nil before the first.
    package func version(at ms: Int64) -> Int? {
        var lo = 0, hi = publishedMs.count  // first index published after ms
        while lo < hi {
            let mid = (lo + hi) / 2
            if publishedMs[mid] <= ms { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : versionAt[lo - 1]
    }

    package func map(version v: Int) throws -> JoinMap {
        if let m = cache.withLock({ $0[v] }) { return m }
        let built = JoinMap(try Snapshot.load(store: store!, version: v), layout: layout)
        return cache.withLock { cached in
            if let m = cached[v] { return m }
            cached[v] = built
            return built
        }
    }

    /// When the first version was published, for messages.
    package var firstPublished: Int64? { publishedMs.first }
}
