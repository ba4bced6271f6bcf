import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// The map store: one SQLite file (WAL) holding every version of a district's map.
///
/// **Layout.** `version` has one row per published version (parent, time, author, message,
/// the grids it changed, counts). `feature` holds the streets, communities, grids, resources
/// (with their grid-worker assignments) and the outline, and `address` the addresses, as rows
/// `(id, since, props, geometry)`: a version inserts a row for each feature it adds or
/// changes and a tombstone (no properties) for each it removes, so a version costs what it
/// changes, like a commit. Version v's content is, per feature, its latest row with
/// `since <= v` unless that is a tombstone. History is append-only: triggers refuse any
/// UPDATE or DELETE.
///
/// **Consistency.** A version's rows and its `version` row are written in one transaction, and
/// readers only read versions up to the largest id in `version`, so a half-written version is
/// never visible, whatever happens to the writer. Several processes may read one store, and
/// any may publish: `BEGIN IMMEDIATE` makes publishes one at a time, and each states the
/// version it expects to replace.
///
/// One `SQLiteStore` is one SQLite connection: use it from one thread at a time.
public final class SQLiteStore {
    public static let applicationID: Int32 = 0x474D_4150  // "GMAP"
    public static let schemaVersion = 1

    public let path: String
    package let db: SQLiteDatabase
    package let readOnly: Bool
    /// The file opened, to notice when it is removed or replaced under a running process.
    package let identity: FileIdentity?
    /// The last version read or written, kept so that consecutive publishes from this
    /// process do not reread the whole map.
    private var cached: (version: Int, content: StoreContent)?
    /// The last version read as a dataset (with its addresses or not), from which a later one
    /// is made by its changes.
    private var cachedDataset: (dataset: Dataset, addresses: Bool)?
    /// Whether the (lon, lat) index of addresses was looked for (`addresses(version:in:)`).
    private var placeIndexChecked = false

    /// Opens an existing store, checking that it is one and that this build can read it.
    public init(path: String, readOnly: Bool = false) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            // Only a CLI or a starting server opens by path: the operator is told which file.
            throw StoreError(path, "no such store file: \(path)", code: .noStore)
        }
        self.path = path
        self.readOnly = readOnly
        identity = FileIdentity(path: path)
        do {
            db = try SQLiteDatabase(path: path, mode: readOnly ? .readOnly : .readWriteCreate)
            db.busyTimeout(milliseconds: 10_000)
            let app = try db.scalar("PRAGMA application_id") ?? 0
            let schema = try db.scalar("PRAGMA user_version") ?? 0
            guard app == Int(SQLiteStore.applicationID) else {
                throw StoreError(path, "not a gridmap store (SQLite application_id \(app)); "
                                 + "create one with 'gridmap store import'", code: .notAStore)
            }
            guard schema <= SQLiteStore.schemaVersion else {
                throw StoreError(path, "written by a newer gridmap (store schema \(schema); "
                                 + "this build reads up to \(SQLiteStore.schemaVersion))")
            }
            if !readOnly {
                // SQLite opens a file it may not write read-only without a word; say so now,
                // not as "unable to open database file" at the first write.
                guard !db.isReadOnly, access(path, W_OK) == 0,
                      access((path as NSString).deletingLastPathComponent.isEmpty ? "."
                             : (path as NSString).deletingLastPathComponent, W_OK) == 0
                else { throw SQLiteStore.readOnlyError(path) }
                try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL")
            }
        } catch let e as StoreError { throw e } catch let e as SQLiteError {
            throw SQLiteStore.storeError(path, e)
        }
    }

    /// Creates a new store at `path` holding `dataset` as version 1. The file is built beside
    /// its final name and renamed into place when complete: a killed import leaves no store.
    @discardableResult
    public static func create(path: String, from dataset: Dataset, author: String, message: String) throws
        -> SQLiteStore
    {
        let derived = try dataset.derivingShapes()
        return try create(path: path, content: StoreContent(derived), author: author, message: message, recorded: nil)
    }

    /// Creates a store whose version 1 is `content` (as `recorded` says, for a copy of
    /// another store's history), built beside its final name and renamed into place.
    package static func create(path: String, content: StoreContent, author: String, message: String,
                       recorded: VersionInfo?) throws -> SQLiteStore {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(path, "already exists", code: .storeExists)
        }
        let partial = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: partial + suffix) }
        do {
            let db = try SQLiteDatabase(path: partial)
            try db.execute(schema)
            try db.transaction {
                try db.query("INSERT INTO meta VALUES ('district_id', ?), ('district_name', ?)",
                             [.text(content.districtID), .text(content.districtName)])
                let (info, changes) = VersionInfo.first(content, author: author, message: message, recorded: recorded)
                try insertVersion(db, info, changes: changes)
            }
            try db.execute("PRAGMA journal_mode = DELETE")
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        // link(2) fails if another process created the store meanwhile: the first one wins.
        guard link(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: partial)
            throw StoreError(path, "cannot create: \(reason)")
        }
        try? FileManager.default.removeItem(atPath: partial)
        return try SQLiteStore(path: path)
    }

    package static let schema = """
        PRAGMA application_id = \(applicationID);
        PRAGMA user_version = \(schemaVersion);
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE version(
            id INTEGER PRIMARY KEY, parent INTEGER, published_ms INTEGER NOT NULL,
            author TEXT NOT NULL, message TEXT NOT NULL, changed_grids TEXT NOT NULL, summary TEXT NOT NULL);
        CREATE TABLE feature(
            layer TEXT NOT NULL, id TEXT NOT NULL, since INTEGER NOT NULL, props TEXT, geom BLOB,
            PRIMARY KEY (layer, id, since)) WITHOUT ROWID;
        CREATE INDEX feature_since ON feature(since, layer);
        CREATE TABLE address(
            id TEXT NOT NULL, since INTEGER NOT NULL, live INTEGER NOT NULL, text TEXT, street TEXT,
            community TEXT, road TEXT, number TEXT, compound TEXT, building TEXT, unit TEXT, room TEXT,
            lon REAL, lat REAL, PRIMARY KEY (id, since)) WITHOUT ROWID;
        CREATE INDEX address_since ON address(since);
        CREATE INDEX address_place ON address(lon, lat);
        """ + appendOnly(["version", "feature", "address"])

    /// Triggers that refuse every UPDATE and DELETE of the tables: history is never rewritten.
    package static func appendOnly(_ tables: [String]) -> String {
        tables.flatMap { table in
            ["UPDATE", "DELETE"].map { verb in
                "CREATE TRIGGER \(table)_no_\(verb.lowercased()) BEFORE \(verb) ON \(table) "
                    + "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;"
            }
        }.joined(separator: "\n")
    }

    /// Runs a store operation, naming the file in any SQLite error.
    package func named<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as SQLiteError { throw SQLiteStore.storeError(path, e) }
    }

    /// A SQLite failure as a store error: the server's fault, the file named, read-only and
    /// corrupt files said in words.
    package static func storeError(_ path: String, _ e: SQLiteError) -> StoreError {
        switch e.code & 0xff {
        case 26, 11: return StoreError(path, "not a SQLite database, or corrupt (\(e.message))", code: .storeCorrupt)
        case 8: return readOnlyError(path)
        default: return StoreError(path, "\(e)", code: .storeFailed)
        }
    }

    package static func readOnlyError(_ path: String) -> StoreError {
        StoreError(path, "the store is read-only: gridmap cannot write the file or its folder (check their "
                   + "permissions, or open it for reading only)", code: .storeReadOnly)
    }

    public func newestVersion() throws -> Int? { try named { try db.scalar("SELECT max(id) FROM version") } }

    /// Moves the write-ahead log into the database file (sizes are then the file's).
    public func checkpoint() throws { try named { try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") } }

    public var districtID: String { (try? db.text("SELECT value FROM meta WHERE key = 'district_id'")) ?? "" }
    public var districtName: String { (try? db.text("SELECT value FROM meta WHERE key = 'district_name'")) ?? "" }

    /// Version `v`'s content, read row by row: per feature, its latest row up to v. From
    /// the version this connection read last, when v is later, only the rows since then.
    /// Without `addresses` (serving reads them when first geocoding, see `addressSource`) the
    /// content's `addresses` is nil, unless the cached content already holds them.
    public func content(version v: Int, addresses withAddresses: Bool = true) throws -> StoreContent {
        if let c = cached, c.version == v, c.content.addresses != nil || !withAddresses { return c.content }
        let content: StoreContent = try named {
            _ = try version(v)
            var base = StoreContent(layers: [:], addresses: withAddresses ? [:] : nil, districtID: districtID,
                                    districtName: districtName)
            var after = 0
            if let c = cached, c.version < v, c.content.addresses != nil || !withAddresses {
                base = c.content
                after = c.version
            }
            if after == 0 {
                // Everything: one pass in key order (a feature's rows together, oldest first),
                // keeping each one's last row; no lookup per row through the `since` index.
                var last: (layer: Layer, id: String, row: FeatureRow?)?
                try db.query("SELECT layer, id, props, geom FROM feature WHERE since <= ? ORDER BY layer, id, since",
                             [.integer(v)]) { s in
                    guard let layer = Layer(rawValue: s.text(0)) else { return }
                    let id = s.text(1), row = s.isNull(2) ? nil : FeatureRow(props: s.text(2), geom: s.blob(3))
                    if let l = last, l.id != id || l.layer != layer { base.layers[l.layer, default: [:]][l.id] = l.row }
                    last = (layer, id, row)
                }
                if let l = last { base.layers[l.layer, default: [:]][l.id] = l.row }
            } else {
                try db.query("SELECT layer, id, props, geom FROM feature WHERE since > ? AND since <= ? ORDER BY since",
                             [.integer(after), .integer(v)]) { s in
                    guard let layer = Layer(rawValue: s.text(0)) else { return }
                    let row = s.isNull(2) ? nil : FeatureRow(props: s.text(2), geom: s.blob(3))
                    base.layers[layer, default: [:]][s.text(1)] = row
                }
            }
            guard base.addresses != nil else { return base }
            try db.query("SELECT \(SQLiteStore.addressColumns) FROM address WHERE since > ? AND since <= ? "
                         + "ORDER BY since",
                         [.integer(after), .integer(v)]) { s in
                base.addresses![s.text(0)] = SQLiteStore.address(s)
            }
            return base
        }
        cached = (v, content)
        return content
    }

    /// The grids of version `v` (id and shape) in id order, read without the other layers:
    /// what a grid index needs.
    public func gridShapes(version v: Int) throws -> [(id: String, shape: Shape)] {
        try named {
            var out: [(id: String, shape: Shape)] = []
            var last: (id: String, geom: [UInt8]?)?
            func keep(_ l: (id: String, geom: [UInt8]?)) throws {
                if let geom = l.geom { out.append((l.id, try WKB.decode(geom))) }
            }
            // Key order (layer, id, since): each grid's rows together, oldest first; the last
            // one is the grid as of `v`, or its removal (no properties).
            try db.query("SELECT id, geom FROM feature WHERE layer = ? AND since <= ? ORDER BY layer, id, since",
                         [.text(Layer.grids.rawValue), .integer(v)]) { s in
                let id = s.text(0)
                if let l = last, l.id != id { try keep(l) }
                last = (id, s.isNull(1) ? nil : s.blob(1))
            }
            if let l = last { try keep(l) }
            return out.sorted { $0.id < $1.id }
        }
    }

    package static let addressColumns =
        "id, live, text, street, community, road, number, compound, building, unit, room, lon, lat"
    package static let addressColumnsOfA = addressColumns.split(separator: ",")
        .map { "a." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")

    /// The address a row of `addressColumns` holds, nil for a tombstone.
    package static func address(_ s: SQLiteStatement) -> Address? {
        guard s.int(1) != 0 else { return nil }
        return Address(id: s.text(0), text: s.text(2), street: s.text(3), community: s.text(4), road: s.text(5),
                       number: s.text(6), compound: s.text(7), building: s.text(8), unit: s.text(9), room: s.text(10),
                       location: Coordinate(s.double(11), s.double(12)), gridID: "")
    }

    /// Version `v`'s live addresses in id order, in one pass over the table's key order (an
    /// id's rows come together, oldest first, so its last row up to v is the one that counts):
    /// no dictionary of millions of addresses.
    public func addresses(version v: Int) throws -> [Address] {
        try named {
            var out: [Address] = []
            var pending: Address?, pendingID = ""
            try db.query("SELECT \(SQLiteStore.addressColumns) FROM address WHERE since <= ? ORDER BY id, since",
                         [.integer(v)]) { s in
                let id = s.text(0)
                if id != pendingID, let a = pending { out.append(a) }
                pendingID = id
                pending = SQLiteStore.address(s)
            }
            if let pending { out.append(pending) }
            return out
        }
    }

    /// Version `v`'s live addresses inside `box`, by the (lon, lat) index: the rows in the box up
    /// to `v` that are their address's last row up to `v` (a later row may have moved it out).
    public func addresses(version v: Int, in box: BoundingBox) throws -> [Address] {
        try named {
            try ensurePlaceIndex()
            var out: [Address] = []
            try db.query(
                "SELECT \(SQLiteStore.addressColumnsOfA) FROM address a "
                    + "WHERE a.lon BETWEEN ? AND ? AND a.lat BETWEEN ? AND ? AND a.since <= ? "
                    + "AND a.since = (SELECT max(since) FROM address b WHERE b.id = a.id AND b.since <= ?)",
                [.real(box.minX), .real(box.maxX), .real(box.minY), .real(box.maxY), .integer(v), .integer(v)]
            ) { s in
                if let a = SQLiteStore.address(s) { out.append(a) }
            }
            return out.sorted { $0.id < $1.id }
        }
    }

    /// The (lon, lat) index of addresses, made the first time a store written by an older build
    /// is asked (once: seconds at 100×); a store opened read-only is scanned instead.
    /// Marked done only once it is there (or cannot be made): a failure (the file busy with
    /// another process's publish) leaves this query scanning, and the next call tries again.
    private func ensurePlaceIndex() throws {
        guard !placeIndexChecked else { return }
        let exists = try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'address_place'") ?? 0
        guard exists == 0, !readOnly else { placeIndexChecked = true; return }
        if (try? db.execute("CREATE INDEX IF NOT EXISTS address_place ON address(lon, lat)")) != nil {
            placeIndexChecked = true
        }
    }

    /// The last version up to `v` that changed any address: versions with the same revision
    /// have the same addresses.
    public func addressRevision(version v: Int) throws -> Int {
        try named { try db.scalar("SELECT max(since) FROM address WHERE since <= ?", [.integer(v)]) ?? 0 }
    }

    /// Version `v`'s addresses, read from the store (on a connection of their own) when first
    /// asked for: at 100× they are most of what a start-up would read. `reuse` is returned
    /// when it describes the same addresses, so a publish that changes no address keeps them.
    public func addressSource(version v: Int, reuse: AddressSource? = nil) throws -> AddressSource {
        let revision = try addressRevision(version: v)
        if let reuse, reuse.revision == revision { return reuse }
        let count = try version(v).summary["counts"]?["addresses"]?.int ?? 0
        let path = self.path
        return AddressSource(revision: revision, count: count) {
            try SQLiteStore(path: path, readOnly: true).addresses(version: v)
        }
    }

    /// Version `v` as a checked dataset (its `version` is v's id), with its addresses or not.
    public func dataset(version v: Int, addresses withAddresses: Bool = true) throws -> Dataset {
        if let d = cachedDataset, d.dataset.version == String(v), d.addresses || !withAddresses { return d.dataset }
        let made: Dataset
        if let d = cachedDataset, let from = Int(d.dataset.version), from < v, d.addresses || !withAddresses {
            let old = try content(version: from, addresses: d.addresses)
            var changes = old.changes(to: try content(version: v, addresses: d.addresses))
            if !d.addresses { changes.addresses = [:] }
            made = try d.dataset.applying(changes, version: String(v),
                                          source: { "\(self.path) version \(v) (\($0.rawValue))" })
            cachedDataset = (made, d.addresses)
        } else {
            made = try content(version: v, addresses: withAddresses).dataset(
                version: String(v), checkGeometry: false, source: "\(path) version \(v)")
            cachedDataset = (made, withAddresses)
        }
        return made
    }

    /// After a publish committed: the caches then describe a version that exists. A dataset is
    /// marked as without addresses: a reader that needs them reads them (a dataset that claimed
    /// them and lacked them would geocode nothing).
    package func remember(_ version: Int, content: StoreContent, dataset: Dataset?) {
        cached = (version, content)
        if let dataset { cachedDataset = (dataset, false) }
    }

    /// Writes version `info.id`: its row, then a row per changed feature and address.
    package static func insertVersion(_ db: SQLiteDatabase, _ info: VersionInfo, changes: ChangeSet) throws {
        let id = info.id
        try db.query("INSERT INTO version VALUES (?, ?, ?, ?, ?, ?, ?)", [
            .integer(id), info.parent.map { .integer($0) } ?? .null, .integer(Int(info.publishedMs)),
            .text(info.author), .text(info.message),
            .text(JSONValue.array(info.changedGrids.map { .string($0) }).serialized),
            .text(JSONValue.object(info.summary).serialized),
        ])
        let feature = try db.prepare("INSERT INTO feature VALUES (?, ?, ?, ?, ?)")
        for (layer, rows) in changes.features {
            for (fid, row) in rows {
                feature.reset()
                try feature.bind(1, layer.rawValue)
                try feature.bind(2, fid)
                try feature.bind(3, id)
                try feature.bind(4, row?.props)
                try feature.bind(5, row?.geom)
                _ = try feature.step()
            }
        }
        let address = try db.prepare("INSERT INTO address VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for (aid, a) in changes.addresses {
            address.reset()
            try address.bind(1, aid)
            try address.bind(2, id)
            try address.bind(3, a == nil ? 0 : 1)
            if let a {
                let fields = [a.text, a.street, a.community, a.road, a.number, a.compound, a.building, a.unit, a.room]
                for (k, v) in fields.enumerated() {
                    try address.bind(Int32(4 + k), v)
                }
                try address.bind(13, a.location.x)
                try address.bind(14, a.location.y)
            }
            _ = try address.step()
        }
    }
}
