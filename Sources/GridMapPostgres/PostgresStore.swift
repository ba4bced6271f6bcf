import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// The map store in a PostgreSQL database: the same history as `SQLiteStore`'s SQLite file, in
/// the schema `gridmap`, so that several hosts can share it (and a standby can take over).
///
/// **Layout.** As in the file: `version` (one row per version), `feature` and `address` rows
/// `(id, since, …)` that a version adds (a tombstone where it removes), drafts in `draft` and
/// `draft_row`, and `meta` with the store's id (a UUID made at import, so that a server can
/// tell this history from another put in its place). Ids are `COLLATE "C"`, ordered byte by
/// byte as SQLite orders them. Triggers refuse UPDATE, DELETE and TRUNCATE of history.
///
/// **Consistency.** A publish is one transaction that takes the store's advisory lock (so
/// publishes are one at a time, across hosts), checks the version it expects to replace,
/// writes the version's rows and its `version` row, and sends `NOTIFY gridmap_version` with
/// the new id: the notification is a hint that arrives only if the commit did. Readers read
/// versions up to the newest `version` row, so a half-written version is never seen.
///
/// One `PostgresStore` is one connection: use it from one thread at a time.
public final class PostgresStore {
    public static let schemaVersion = 1
    /// The channel a publish notifies, its payload the new version's id.
    public static let channel = "gridmap_version"
    /// The advisory lock publishes take ("GMAP").
    package static let publishLock = 0x474D_4150

    package let db: PostgreSQLConnection
    public let location: String
    /// The store's id, read when opened: a database re-created from another history has another.
    public let storeID: String
    /// The last versions' contents read (two, as the datasets below), each later one read as
    /// the rows since the newest earlier one.
    private var contents: [(version: Int, content: StoreContent)] = []
    /// The last versions read as datasets, newest use last: over a network, reading a whole
    /// version costs round trips and megabytes, and a rebase reads its draft's base and the
    /// head in turn, so the two last are kept (a later one is made from an earlier by its changes).
    private var cachedDatasets: [(dataset: Dataset, addresses: Bool)] = []
    package static let datasetsKept = 2
    /// Whether the (lon, lat) index of addresses is known to be there (`addresses(version:in:)`).
    private var placeIndexChecked = false

    private func keep(_ d: Dataset, addresses: Bool) {
        cachedDatasets.removeAll { $0.dataset.version == d.version }
        cachedDatasets.append((d, addresses))
        if cachedDatasets.count > PostgresStore.datasetsKept { cachedDatasets.removeFirst() }
    }

    /// Whether `location` names a PostgreSQL database (a `postgresql://` or `postgres://` URI,
    /// or libpq's `key=value` form) rather than a store file.
    public static func isDatabase(_ location: String) -> Bool {
        location.hasPrefix("postgresql://") || location.hasPrefix("postgres://")
            || location.range(of: #"^\s*(host|hostaddr|dbname|service|port|user)\s*="#,
                              options: .regularExpression) != nil
    }

    /// Opens the store in the database `conninfo` names.
    public init(_ conninfo: String) throws {
        let location = PostgreSQLConnection.redacted(conninfo)
        self.location = location
        do {
            db = try PostgreSQLConnection(conninfo)
        } catch let e as PostgreSQLError { throw PostgresStore.storeError(location, e) }
        storeID = try PostgresStore.readStoreID(db, location: location)
        districtID = try named { try db.text("SELECT value FROM gridmap.meta WHERE key = 'district_id'") ?? "" }
        districtName = try named { try db.text("SELECT value FROM gridmap.meta WHERE key = 'district_name'") ?? "" }
    }

    package static func readStoreID(_ db: PostgreSQLConnection, location: String) throws -> String {
        do {
            guard try db.text("SELECT to_regclass('gridmap.meta')::text") != nil else {
                throw StoreError(location, "the database holds no gridmap store; create one with 'gridmap store "
                                 + "import DIR --store URL'", code: .noStore)
            }
            let schema = Int(try db.text("SELECT value FROM gridmap.meta WHERE key = 'schema_version'") ?? "") ?? 0
            guard schema <= schemaVersion else {
                throw StoreError(location, "written by a newer gridmap (store schema \(schema); "
                                 + "this build reads up to \(schemaVersion))")
            }
            guard let id = try db.text("SELECT value FROM gridmap.meta WHERE key = 'store_id'") else {
                throw StoreError(location, "the store has no id", code: .storeCorrupt)
            }
            return id
        } catch let e as PostgreSQLError { throw storeError(location, e) }
    }

    /// Creates the store in the database `conninfo` names, holding `dataset` as version 1,
    /// in one transaction: a killed import leaves no store. Refused when one is there.
    @discardableResult
    public static func create(_ conninfo: String, from dataset: Dataset, author: String, message: String)
        throws -> PostgresStore
    {
        let derived = try dataset.derivingShapes()
        return try create(conninfo, content: StoreContent(derived), author: author, message: message, recorded: nil)
    }

    /// Creates the store with `content` as version 1 (as `recorded` says, for a copy).
    package static func create(_ conninfo: String, content: StoreContent, author: String, message: String,
                       recorded: VersionInfo?) throws -> PostgresStore {
        let location = PostgreSQLConnection.redacted(conninfo)
        do {
            let db = try PostgreSQLConnection(conninfo)
            try db.transaction {
                // Two imports at once: the second waits here, then finds the schema.
                try db.exec("SELECT pg_advisory_xact_lock(\(publishLock))")
                guard try db.text("SELECT to_regnamespace('gridmap')::text") == nil else {
                    throw StoreError(location, "already holds a gridmap store", code: .storeExists)
                }
                try db.exec(schema)
                try db.query("INSERT INTO gridmap.meta VALUES ('schema_version', $1), ('store_id', $2), "
                             + "('district_id', $3), ('district_name', $4)",
                             [.text(String(schemaVersion)), .text(UUID().uuidString.lowercased()),
                              .text(content.districtID), .text(content.districtName)])
                let (info, changes) = VersionInfo.first(content, author: author, message: message, recorded: recorded)
                try insertVersion(db, info, changes: changes)
            }
        } catch let e as PostgreSQLError { throw storeError(location, e) }
        let store = try PostgresStore(conninfo)
        // The current map as PostGIS layers, when the database has PostGIS (optional).
        if store.enablePostGIS() { _ = try? store.createViews() }
        return store
    }

    package static let schema = """
        CREATE SCHEMA gridmap;
        CREATE TABLE gridmap.meta(key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE gridmap.version(
            id integer PRIMARY KEY, parent integer, published_ms bigint NOT NULL, author text NOT NULL,
            message text NOT NULL, changed_grids text NOT NULL, summary text NOT NULL,
            CHECK (parent IS NULL AND id = 1 OR parent = id - 1));
        CREATE TABLE gridmap.feature(
            layer text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL, since integer NOT NULL, props text,
            geom bytea, PRIMARY KEY (layer, id, since));
        CREATE INDEX feature_since ON gridmap.feature(since, layer);
        CREATE TABLE gridmap.address(
            id text COLLATE "C" NOT NULL, since integer NOT NULL, live boolean NOT NULL, text text, street text,
            community text, road text, number text, compound text, building text, unit text, room text,
            lon double precision, lat double precision, PRIMARY KEY (id, since));
        CREATE INDEX address_since ON gridmap.address(since);
        CREATE INDEX address_place ON gridmap.address(lon, lat);
        CREATE TABLE gridmap.draft(
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL, author text NOT NULL,
            base integer NOT NULL, created_ms bigint NOT NULL, updated_ms bigint NOT NULL, status text NOT NULL,
            published integer, revision integer NOT NULL, log text NOT NULL);
        CREATE TABLE gridmap.draft_row(
            draft bigint NOT NULL, layer text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL, props text,
            geom bytea, PRIMARY KEY (draft, layer, id));
        CREATE FUNCTION gridmap.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'history is append-only: % of % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege'; END $$;
        """ + ["version", "feature", "address", "meta"].map { t in
            "CREATE TRIGGER \(t)_append_only BEFORE UPDATE OR DELETE ON gridmap.\(t) "
                + "FOR EACH ROW EXECUTE FUNCTION gridmap.append_only();\n"
                + "CREATE TRIGGER \(t)_no_truncate BEFORE TRUNCATE ON gridmap.\(t) "
                + "FOR EACH STATEMENT EXECUTE FUNCTION gridmap.append_only();"
        }.joined(separator: "\n")

    /// Runs a store operation, a PostgreSQL failure said as a store error.
    package func named<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PostgreSQLError { throw PostgresStore.storeError(location, e) }
    }

    /// A lost or refused connection is `unavailable` (try again: the data is safe in the
    /// database); a standby that refuses writes is `store_read_only`; the rest is internal.
    package static func storeError(_ location: String, _ e: PostgreSQLError) -> StoreError {
        if e.isConnectionFailure {
            return StoreError(location, "the database cannot be reached (\(e.message))", code: .storeUnavailable)
        }
        if e.state == "25006" {
            return StoreError(location, "the database is read-only (a standby?): \(e.message)", code: .storeReadOnly)
        }
        if e.state == "42501", e.message.contains("append-only") {
            return StoreError(location, e.message, code: .historyAppendOnly)
        }
        if e.state == "42501" {
            // The database role this process connects as may not do this (a reader's role
            // asked to publish, see docs/DEPLOY.md): the deployment's to change, not the data.
            return StoreError(location, "the database refuses this to the role gridmap connects as (\(e.message))",
                              code: .storeForbidden)
        }
        return StoreError(location, "\(e)", code: .storeFailed)
    }

    /// The district, read when opened (meta is append-only: it never changes).
    public private(set) var districtID = ""
    public private(set) var districtName = ""

    /// The host and port this connection reached.
    public var server: String { db.server }

    public func newestVersion() throws -> Int? { try named { try db.scalar("SELECT max(id) FROM gridmap.version") } }

    package static let versionColumns = "id, parent, published_ms, author, message, changed_grids, summary"

    private static func versionInfo(_ r: PGRow) -> VersionInfo {
        let grids = (try? JSONParser.parse(r.text(5)))?.array?.compactMap(\.string) ?? []
        let summary = (try? JSONParser.parse(r.text(6)))?.object ?? JSONObject()
        return VersionInfo(id: r.int(0), parent: r.isNull(1) ? nil : r.int(1), publishedMs: Int64(r.int(2)),
                           author: r.text(3), message: r.text(4), changedGrids: grids, summary: summary)
    }

    public func versions() throws -> [VersionInfo] {
        try named {
            var out: [VersionInfo] = []
            try db.query("SELECT \(PostgresStore.versionColumns) FROM gridmap.version ORDER BY id") {
                out.append(PostgresStore.versionInfo($0))
            }
            return out
        }
    }

    public func versionRow(_ id: Int) throws -> VersionInfo? {
        try named {
            var found: VersionInfo?
            try db.query("SELECT \(PostgresStore.versionColumns) FROM gridmap.version WHERE id = $1", [.int(id)]) {
                found = PostgresStore.versionInfo($0)
            }
            return found
        }
    }

    public func publicationTimes() throws -> [(id: Int, ms: Int64)] {
        try named {
            var out: [(id: Int, ms: Int64)] = []
            try db.query("SELECT id, published_ms FROM gridmap.version ORDER BY id") {
                out.append(($0.int(0), Int64($0.int(1))))
            }
            return out
        }
    }

    public func diff(from a: Int, to b: Int) throws -> JSONValue { try contentDiff(from: a, to: b) }

    package static let addressColumns =
        "id, live, text, street, community, road, number, compound, building, unit, room, lon, lat"

    package static func address(_ r: PGRow) -> Address? {
        guard r.int(1) != 0 else { return nil }
        return Address(id: r.text(0), text: r.text(2), street: r.text(3), community: r.text(4), road: r.text(5),
                       number: r.text(6), compound: r.text(7), building: r.text(8), unit: r.text(9), room: r.text(10),
                       location: Coordinate(r.double(11), r.double(12)), gridID: "")
    }

    /// Version `v`'s content (as `SQLiteStore.content`): from the version read last when v is
    /// later, only the rows since then.
    public func content(version v: Int, addresses withAddresses: Bool) throws -> StoreContent {
        let usable = contents.filter { $0.content.addresses != nil || !withAddresses }
        if let c = usable.last(where: { $0.version == v }) { return c.content }
        let content: StoreContent = try named {
            _ = try version(v)
            var base = StoreContent(layers: [:], addresses: withAddresses ? [:] : nil, districtID: districtID,
                                    districtName: districtName)
            var after = 0
            if let c = usable.filter({ $0.version < v }).max(by: { $0.version < $1.version }) {
                base = c.content
                after = c.version
            }
            // Each feature's last row up to v, oldest changes first so later ones win.
            try db.query("SELECT layer, id, props, geom FROM gridmap.feature WHERE since > $1 AND since <= $2 "
                         + "ORDER BY since", [.int(after), .int(v)]) { r in
                guard let layer = Layer(rawValue: r.text(0)) else { return }
                base.layers[layer, default: [:]][r.text(1)] = r.isNull(2) ? nil
                    : FeatureRow(props: r.text(2), geom: r.isNull(3) ? nil : r.blob(3))
            }
            guard base.addresses != nil else { return base }
            try db.query("SELECT \(PostgresStore.addressColumns) FROM gridmap.address WHERE since > $1 AND since <= $2 "
                         + "ORDER BY since", [.int(after), .int(v)]) { r in
                base.addresses![r.text(0)] = PostgresStore.address(r)
            }
            return base
        }
        remember(v, content)
        return content
    }

    private func remember(_ v: Int, _ content: StoreContent) {
        contents.removeAll { $0.version == v }
        contents.append((v, content))
        if contents.count > PostgresStore.datasetsKept { contents.removeFirst() }
    }

    public func gridShapes(version v: Int) throws -> [(id: String, shape: Shape)] {
        try named {
            var out: [(id: String, shape: Shape)] = []
            try db.query("""
                SELECT DISTINCT ON (id) id, geom FROM gridmap.feature WHERE layer = 'grids' AND since <= $1
                ORDER BY id, since DESC
                """, [.int(v)]) { r in
                if !r.isNull(1) { out.append((r.text(0), try WKB.decode(r.blob(1)))) }
            }
            return out
        }
    }

    /// Version `v`'s live addresses in id order.
    public func addresses(version v: Int) throws -> [Address] {
        try named {
            var out: [Address] = []
            try db.query("SELECT DISTINCT ON (id) \(PostgresStore.addressColumns) FROM gridmap.address "
                         + "WHERE since <= $1 ORDER BY id, since DESC", [.int(v)]) { r in
                if let a = PostgresStore.address(r) { out.append(a) }
            }
            return out
        }
    }

    /// Version `v`'s live addresses inside `box`, by the (lon, lat) index (see SQLiteStore's).
    public func addresses(version v: Int, in box: BoundingBox) throws -> [Address] {
        try named {
            if !placeIndexChecked {
                // A store made by an older build has no index: made once (seconds at 100×); a
                // role that may not create it (a server's read role) scans until a planner's has.
                placeIndexChecked = true
                if try db.text("SELECT to_regclass('gridmap.address_place')::text") == nil {
                    try? db.exec("CREATE INDEX IF NOT EXISTS address_place ON gridmap.address(lon, lat)")
                }
            }
            var out: [Address] = []
            try db.query(
                "SELECT DISTINCT ON (id) \(PostgresStore.addressColumns) FROM gridmap.address "
                    + "WHERE id IN (SELECT id FROM gridmap.address WHERE lon BETWEEN $1 AND $2 "
                    + "AND lat BETWEEN $3 AND $4 AND since <= $5) AND since <= $5 ORDER BY id, since DESC",
                [.double(box.minX), .double(box.maxX), .double(box.minY), .double(box.maxY), .int(v)]
            ) { r in
                // The id's last row up to v: inside the box still (a later row may have moved it).
                if let a = PostgresStore.address(r), box.contains(a.location) { out.append(a) }
            }
            return out
        }
    }

    public func addressSource(version v: Int, reuse: AddressSource?) throws -> AddressSource {
        let revision = try named {
            try db.scalar("SELECT max(since) FROM gridmap.address WHERE since <= $1", [.int(v)]) ?? 0
        }
        if let reuse, reuse.revision == revision { return reuse }
        let count = try version(v).summary["counts"]?["addresses"]?.int ?? 0
        let conninfo = db.conninfo
        return AddressSource(revision: revision, count: count) {
            try PostgresStore(conninfo).addresses(version: v)
        }
    }

    public func dataset(version v: Int, addresses withAddresses: Bool) throws -> Dataset {
        if let d = cachedDatasets.last(where: { $0.dataset.version == String(v) && ($0.addresses || !withAddresses) }) {
            keep(d.dataset, addresses: d.addresses)
            return d.dataset
        }
        let made: Dataset, addresses: Bool
        let earlier = cachedDatasets.filter { Int($0.dataset.version).map { $0 < v } ?? false }
            .filter { $0.addresses || !withAddresses }.max { Int($0.dataset.version)! < Int($1.dataset.version)! }
        if let d = earlier, let from = Int(d.dataset.version) {
            let old = try content(version: from, addresses: d.addresses)
            var changes = old.changes(to: try content(version: v, addresses: d.addresses))
            if !d.addresses { changes.addresses = [:] }
            made = try d.dataset.applying(changes, version: String(v),
                                          source: { "\(self.location) version \(v) (\($0.rawValue))" })
            addresses = d.addresses
        } else {
            made = try content(version: v, addresses: withAddresses).dataset(
                version: String(v), checkGeometry: false, source: "\(location) version \(v)")
            addresses = withAddresses
        }
        keep(made, addresses: addresses)
        return made
    }

    public func changedIDs(since base: Int, layers: [Layer]) throws -> Set<String> {
        try named {
            var out = Set<String>()
            try db.query("SELECT DISTINCT id FROM gridmap.feature WHERE since > $1 AND layer = ANY($2::text[])",
                         [.int(base), .text("{" + layers.map(\.rawValue).joined(separator: ",") + "}")]) {
                out.insert($0.text(0))
            }
            return out
        }
    }

    public func gridCodeHistory() throws -> [String: Int] {
        try named {
            var out: [String: Int] = [:]
            try db.query("SELECT id, max(since) FROM gridmap.feature WHERE layer = 'grids' GROUP BY id") {
                out[$0.text(0)] = $0.int(1)
            }
            return out
        }
    }

    // Writes.

    /// Runs `body` as one write transaction on a store that is still this one.
    package func writing<T>(_ body: () throws -> T) throws -> T {
        try checkIntact()
        return try named { try db.transaction(body) }
    }

    /// A write transaction holding the publish lock (a transaction-scoped advisory lock):
    /// publishers on every host take turns.
    public func publishing<T>(_ body: () throws -> T) throws -> T {
        try writing {
            try db.exec("SELECT pg_advisory_xact_lock(\(PostgresStore.publishLock))")
            return try body()
        }
    }

    public func insert(_ version: VersionInfo, changes: ChangeSet) throws {
        try PostgresStore.insertVersion(db, version, changes: changes)
    }

    public func didPublish(_ version: Int, content: StoreContent, dataset: Dataset?) {
        remember(version, content)
        if let dataset { keep(dataset, addresses: false) }
    }

    /// Writes version `info.id` (its row, a row per changed feature and address, by COPY) and
    /// notifies the listeners, inside the caller's transaction.
    package static func insertVersion(_ db: PostgreSQLConnection, _ info: VersionInfo, changes: ChangeSet) throws {
        let id = info.id
        try db.query("INSERT INTO gridmap.version VALUES ($1, $2, $3, $4, $5, $6, $7)", [
            .int(id), info.parent.map { .int($0) } ?? .null, .int(Int(info.publishedMs)), .text(info.author),
            .text(info.message), .text(JSONValue.array(info.changedGrids.map { .string($0) }).serialized),
            .text(JSONValue.object(info.summary).serialized),
        ])
        if changes.features.values.contains(where: { !$0.isEmpty }) {
            try db.copy("COPY gridmap.feature FROM STDIN") { w in
                for (layer, rows) in changes.features {
                    for (fid, row) in rows {
                        try w.row([.text(layer.rawValue), .text(fid), .int(id), PGValue(row?.props),
                                   PGValue(row?.geom)])
                    }
                }
            }
        }
        if !changes.addresses.isEmpty {
            try db.copy("COPY gridmap.address FROM STDIN") { w in
                for (aid, a) in changes.addresses {
                    guard let a else {
                        try w.row([.text(aid), .int(id), .text("f")] + Array(repeating: .null, count: 11))
                        continue
                    }
                    let fields = [a.text, a.street, a.community, a.road, a.number, a.compound, a.building, a.unit,
                                  a.room].map { PGValue.text($0) }
                    try w.row([.text(aid), .int(id), .text("t")] + fields
                              + [.double(a.location.x), .double(a.location.y)])
                }
            }
        }
        try db.exec("NOTIFY \(channel), '\(id)'")
    }

    /// What takes version `head` back to version `target`: each feature and address touched
    /// after `target`, as it was then (nil where it did not exist).
    public func changes(since target: Int, upTo head: Int) throws -> ChangeSet {
        try named {
            var set = ChangeSet()
            try db.query("SELECT DISTINCT layer, id FROM gridmap.feature WHERE since > $1 AND since <= $2",
                         [.int(target), .int(head)]) { r in
                guard let layer = Layer(rawValue: r.text(0)) else { return }
                set.features[layer, default: [:]][r.text(1)] = .some(nil)
            }
            try db.query("""
                SELECT DISTINCT ON (f.layer, f.id) f.layer, f.id, f.props, f.geom FROM gridmap.feature f
                WHERE f.since <= $1 AND (f.layer, f.id) IN
                    (SELECT layer, id FROM gridmap.feature WHERE since > $1 AND since <= $2)
                ORDER BY f.layer, f.id, f.since DESC
                """, [.int(target), .int(head)]) { r in
                guard let layer = Layer(rawValue: r.text(0)), !r.isNull(2) else { return }
                set.features[layer, default: [:]][r.text(1)] = .some(
                    FeatureRow(props: r.text(2), geom: r.isNull(3) ? nil : r.blob(3)))
            }
            try db.query("SELECT DISTINCT id FROM gridmap.address WHERE since > $1 AND since <= $2",
                         [.int(target), .int(head)]) { set.addresses[$0.text(0)] = .some(nil) }
            try db.query("""
                SELECT DISTINCT ON (a.id) \(PostgresStore.addressColumns.split(separator: ",")
                    .map { "a." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
                FROM gridmap.address a WHERE a.since <= $1 AND a.id IN
                    (SELECT id FROM gridmap.address WHERE since > $1 AND since <= $2)
                ORDER BY a.id, a.since DESC
                """, [.int(target), .int(head)]) { r in
                if let a = PostgresStore.address(r) { set.addresses[a.id] = .some(a) }
            }
            return set
        }
    }

    /// Throws when the database no longer holds this store: it is unreachable (`unavailable`),
    /// its store is gone, or another history was put in its place (another store id).
    public func checkIntact() throws {
        let now: String?
        do {
            // Two statements: one naming a missing table fails as a whole, even where it is not run.
            now = try db.text("SELECT to_regclass('gridmap.meta')::text") == nil ? nil
                : try db.text("SELECT value FROM gridmap.meta WHERE key = 'store_id'")
        } catch let e as PostgreSQLError { throw PostgresStore.storeError(location, e) }
        guard let now else {
            throw StoreError(location, "the database no longer holds the gridmap store; nothing more is "
                             + "written to it (restore it, then restart)", code: .storeUnusable)
        }
        guard now == storeID else {
            throw StoreError(location, "the database now holds another history (store id \(now), this process "
                             + "follows \(storeID)); nothing more is read or written (restart to follow the new "
                             + "one)", code: .storeUnusable)
        }
    }

    /// A role that may not add versions (the deployment's `gridmap_reader`) serves lookups
    /// only; planning through it would be refused at the first write.
    public func writeRefusal() throws -> String? {
        let allowed = try named {
            try db.scalar("SELECT (has_table_privilege('gridmap.version', 'INSERT') "
                          + "AND has_table_privilege('gridmap.feature', 'INSERT'))::int")
        }
        return allowed == 1 ? nil : "the database role gridmap connects as may not add versions"
    }

    /// The append-only triggers still in place, and the store's id.
    public func backendIntegrity() throws -> JSONObject {
        try checkIntact()
        let triggers = try named {
            try db.scalar("SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN "
                          + "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'gridmap' AND "
                          + "t.tgname LIKE '%append_only' AND t.tgenabled <> 'D' "
                          // The version history's own: the case log's tables have triggers too.
                          + "AND c.relname IN ('version', 'feature', 'address', 'meta')") ?? 0
        }
        guard triggers == 4 else {
            throw StoreError(location, "history is not protected: \(triggers) of 4 append-only triggers are enabled")
        }
        return ["store_id": .string(storeID)]
    }
}
