import Foundation
import Synchronization
import GridMapTestSupport
import Testing

@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

/// What only the PostgreSQL backend has to show: its history protected by the database, its
/// transactions surviving a writer killed midway, another history in its place refused, the
/// chain kept by racing publishers, copies both ways, and PostGIS reading the map. The store
/// and planning tests shared with SQLite run on it too (`StoreBackend.available`).
@Suite(.enabled(if: TestDatabase.server != nil, "GRIDMAP_TEST_POSTGRES names no PostgreSQL server"))
struct PostgresStoreTests {
    static func store() throws -> (PostgresStore, String) {
        let location = try TestDatabase.create()
        return (try PostgresStore.create(location, from: StoreFixture.dataset, author: "t", message: "import"),
                location)
    }

    /// One grid renamed: the smallest real change.
    static func rename(_ store: any VersionedStore, _ name: String, grid: Int = 0) throws -> ChangeSet {
        let g = try store.dataset(version: try store.head(), addresses: false).grids.sorted { $0.id < $1.id }[grid]
        var props = g.properties
        props["name"] = .string(name)
        var changes = ChangeSet()
        changes.features[.grids] = [g.id: FeatureRow(Feature(id: g.id, properties: props, geometry: g.shape))]
        return changes
    }

    @Test func historyIsAppendOnlyInTheDatabase() throws {
        let (_, location) = try Self.store()
        let db = try PostgreSQLConnection(location)
        for sql in ["UPDATE gridmap.feature SET props = '{}'", "DELETE FROM gridmap.version",
                    "UPDATE gridmap.address SET text = ''", "DELETE FROM gridmap.meta", "TRUNCATE gridmap.feature",
                    "TRUNCATE gridmap.version CASCADE"] {
            do {
                try db.exec(sql)
                Issue.record("\(sql) was allowed")
            } catch { #expect("\(error)".contains("append-only"), "\(sql): \(error)") }
        }
        #expect(try PostgresStore(location).verify()["versions"]?.int == 1)
    }

    /// A writer that dies inside its publish (its backend terminated after the version row
    /// and its features are written, before COMMIT) leaves no trace: the head, the counts and
    /// the next publish are as if it never ran.
    @Test func aKilledWriterLeavesNoHalfVersion() throws {
        let (store, location) = try Self.store()
        let writer = try PostgreSQLConnection(location)
        try writer.exec("BEGIN")
        let base = try store.content(version: 1, addresses: false)
        let changes = try Self.rename(store, "半途而废")
        let info = VersionInfo(id: 2, parent: 1, author: "w", message: "never", changes: changes, base: base,
                               content: base.applying(changes), addressCount: 0)
        try PostgresStore.insertVersion(writer, info, changes: changes)
        #expect(try writer.scalar("SELECT count(*) FROM gridmap.version") == 2, "the writer sees its own version")
        #expect(try store.head() == 1, "nobody else does")
        try TestDatabase.admin("SELECT pg_terminate_backend(\(writer.backendPID), 60000)")
        #expect(throws: PostgreSQLError.self) { try writer.exec("COMMIT") }
        #expect(try store.head() == 1)
        #expect(try store.verify()["versions"]?.int == 1)
        let v2 = try store.publish(try Self.rename(store, "后来者"), parent: 1, author: "p", message: "next")
        #expect(v2.id == 2 && v2.message == "next")
        #expect(try PostgresStore(location).dataset(version: 2).grids.contains { $0.name == "后来者" })
    }

    @Test func databasesThatAreNotStoresAreSaid() throws {
        let empty = try TestDatabase.create()
        do { _ = try PostgresStore(empty); Issue.record("opened an empty database") } catch let e as StoreError {
            #expect(e.code == "no_store" && e.message.contains("no gridmap store"), "\(e)")
        }
        #expect(try !Stores.exists(empty))
        // No server there: unavailable (not the client's fault, try later), the password never shown.
        let nowhere = "postgresql://gridmap:s3cret@127.0.0.1:1/gridmap?connect_timeout=2"
        do { _ = try Stores.open(nowhere); Issue.record("opened \(nowhere)") } catch let e as StoreError {
            #expect(e.kind == .unavailable && e.code == "store_unavailable", "\(e)")
            #expect(!"\(e)".contains("s3cret") && "\(e)".contains("127.0.0.1"), "\(e)")
        }
        #expect(PostgresStore.isDatabase("host=db1,db2 dbname=x target_session_attrs=read-write"))
        #expect(!PostgresStore.isDatabase("data/yufeng.gridmap"))
    }

    /// The database dropped and made again from another history: a process that followed the
    /// first refuses to read or write the second, and says which is which.
    @Test func anotherHistoryInItsPlaceIsRefused() throws {
        let (store, location) = try Self.store()
        let service = try MapService(store: try PostgresStore(location))
        let first = store.storeID
        try TestDatabase.admin("SELECT 1")  // the server is there
        try PostgreSQLConnection(location).exec("DROP SCHEMA gridmap CASCADE")
        service.checkStore()
        #expect(service.storeHealth.problem?.code == "store_unusable")
        #expect(service.storeHealth.problem?.message.contains("no longer holds") == true)
        let other = try PostgresStore.create(location, from: StoreFixture.dataset, author: "x", message: "other")
        #expect(other.storeID != first)
        do { try store.checkIntact(); Issue.record("mixed two histories") } catch let e as StoreError {
            #expect(e.code == "store_unusable" && e.message.contains(first) && e.message.contains(other.storeID),
                    "\(e)")
        }
        #expect(throws: StoreError.self) { try store.publish(try Self.rename(other, "混"), parent: 1, author: "p",
                                                             message: "m") }
        #expect(try other.head() == 1)
        service.checkStore()
        #expect(service.storeHealth.problem?.message.contains("another history") == true)
        #expect(service.current.version == "1", "still answering from memory")
    }

    /// Four publishers, each on its own connection, racing: every version has exactly one
    /// winner, each loser is told both versions, and the chain has no gap and no fork.
    @Test func racingPublishersFormOneChain() throws {
        let (_, location) = try Self.store()
        let perWriter = 15, writers = 4
        let results = Mutex<[(wins: Int, stale: [StaleVersionError])]>([])
        DispatchQueue.concurrentPerform(iterations: writers) { w in
            var wins = 0, stale: [StaleVersionError] = []
            do {
                let store = try PostgresStore(location)
                while wins < perWriter {
                    let head = try store.head()
                    do {
                        try store.publish(try Self.rename(store, "w\(w)-\(wins)", grid: w), parent: head,
                                          author: "w\(w)", message: "race")
                        wins += 1
                    } catch let e as StaleVersionError { stale.append(e) }
                }
            } catch { Issue.record("writer \(w): \(error)") }
            results.withLock { $0.append((wins, stale)) }
        }
        let store = try PostgresStore(location)
        let versions = try store.versions()
        #expect(versions.count == 1 + perWriter * writers)
        #expect(versions.map(\.id) == Array(1...(1 + perWriter * writers)))
        #expect(versions.dropFirst().allSatisfy { $0.parent == $0.id - 1 })
        for r in results.withLock({ $0 }) {
            #expect(r.wins == perWriter)
            #expect(r.stale.allSatisfy { $0.current > $0.expected && $0.message.contains("\($0.expected)")
                && $0.message.contains("\($0.current)") })
        }
        #expect(try store.verify()["head"]?.int == 1 + perWriter * writers)
    }

    /// A history copied from a file to the database and back: every version's export is the
    /// same, byte for byte, and so are the versions' records.
    @Test func copyRoundTripsEveryVersion() throws {
        let (file, path) = try makeStore()
        try file.publish(try Self.rename(file, "一改"), parent: 1, author: "a", message: "one")
        var addresses = ChangeSet()
        let a = try file.addresses(version: 2)
        var moved = a[3]
        moved.location = Coordinate(moved.location.x + 2e-5, moved.location.y - 1e-5)
        addresses.addresses = [moved.id: .some(moved), a[4].id: Address?.none]
        try file.publish(addresses, parent: 2, author: "b", message: "addresses")
        try file.rollback(to: 1, author: "c")
        let database = try TestDatabase.create()
        let there = try StoreCopy.copy(from: path, to: database)
        #expect(there["versions"]?.int == 4)
        let back = Scratch.path("back") + ".gridmap"
        _ = try StoreCopy.copy(from: database, to: back)
        #expect(throws: StoreError.self) { try StoreCopy.copy(from: path, to: database) }
        func export(_ location: String, _ v: Int) throws -> [String: Data] {
            let dir = Scratch.path("copy-export")
            try Snapshot(dataset: try Stores.open(location).dataset(version: v)).dataset.write(directory: dir)
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
                files[name] = FileManager.default.contents(atPath: dir + "/" + name)
            }
            return files
        }
        for v in 1...4 {
            let original = try export(path, v)
            #expect(original.count >= 7)
            #expect(try export(database, v) == original, "version \(v) in the database")
            #expect(try export(back, v) == original, "version \(v) copied back")
        }
        let records = { (l: String) in try Stores.open(l).versions().map { $0.json.serialized } }
        #expect(try records(database) == records(path))
        #expect(try records(back) == records(path))
    }

    /// PostGIS reads the map through the views: GDAL lists them with their counts, and
    /// `ST_Covers` agrees with LOCATE on 10,000 random points.
    @Test func postgisSeesTheMap() throws {
        let (store, location) = try Self.store()
        try #require(store.enablePostGIS(), "PostGIS (postgresql-15-postgis-3) must be installed on the test server")
        try store.publish(try Self.rename(store, "第二版"), parent: 1, author: "p", message: "v2")
        try store.createViews(version: 1)
        let d = StoreFixture.dataset
        let info = try #require(run("ogrinfo", ["-ro", "-so", "-al", "PG:" + location]), "ogrinfo must run")
        for (layer, count) in [("gridmap.grids", 674), ("gridmap.communities", 70), ("gridmap.streets", 9),
                               ("gridmap.resources", d.resources.count), ("gridmap.units", d.units.count),
                               ("gridmap.addresses", d.addresses.count), ("gridmap_v1.grids", 674)] {
            #expect(info.contains("Layer name: \(layer)\n") && info.contains("Feature Count: \(count)\n"), "\(layer)")
        }
        let db = try PostgreSQLConnection(location)
        #expect(try db.text("SELECT name FROM gridmap.grids WHERE name = '第二版'") == "第二版")
        #expect(try db.text("SELECT name FROM gridmap_v1.grids WHERE name = '第二版'") == nil)
        // 10,000 points, with every digit a program prints, over the district's box.
        var rng = SystemRandomNumberGenerator()
        let box = d.outline.bounds!
        let points = (0..<10_000).map { _ in
            Coordinate(Double.random(in: box.minX...box.maxX, using: &rng), Double.random(in: box.minY...box.maxY,
                                                                                         using: &rng))
        }
        try db.exec("CREATE TEMP TABLE g AS SELECT id, geom FROM gridmap.grids; CREATE INDEX ON g USING gist (geom)")
        var covers = [Int: [String]]()
        try db.query("""
            SELECT p.n, g.id FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(x, y, n)
            JOIN g ON ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
            """, [.text("{" + points.map { "\($0.x)" }.joined(separator: ",") + "}"),
                  .text("{" + points.map { "\($0.y)" }.joined(separator: ",") + "}")]) { r in
            covers[r.int(0) - 1, default: []].append(r.text(1))
        }
        let snapshot = try Snapshot.load(store: location)
        var inside = 0
        for (k, p) in points.enumerated() {
            let located = snapshot.locate(p).map { snapshot.dataset.grids[$0].id }
            let covering = covers[k] ?? []
            if let located {
                inside += 1
                #expect(covering.contains(located), "\(p): LOCATE \(located), PostGIS \(covering)")
            } else {
                #expect(covering.isEmpty, "\(p): LOCATE none, PostGIS \(covering)")
            }
            #expect(covering.count <= 1 || located != nil)
        }
        #expect(inside > 3_000, "enough of the points fall in grids")
    }
}
