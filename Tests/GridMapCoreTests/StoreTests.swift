import Foundation
import Testing
@testable import GridMapCore
import GridMapTestSupport
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

/// A store file made from the committed data, one per test (each may publish).
func makeStore() throws -> (SQLiteStore, String) {
    let path = Scratch.directory + "/store-\(UUID().uuidString).gridmap"
    return (
        try SQLiteStore.create(path: path, from: StoreFixture.dataset, author: "test", message: "the committed data"), path
    )
}

/// The same on `backend`: a file, or a database of its own.
func makeStore(_ backend: StoreBackend) throws -> (any VersionedStore, String) {
    let location = try backend.newLocation()
    return (try Stores.create(location, from: StoreFixture.dataset, author: "test", message: "the committed data"),
            location)
}

enum StoreFixture {
    static let dataset: Dataset = try! Dataset.load(directory: Fixtures.dataDirectory)
}

/// Runs a command-line tool; nil when it is not installed.
func run(_ tool: String, _ arguments: [String]) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [tool] + arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = Pipe()
    guard (try? p.run()) != nil else { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
}

@Suite struct StoreTests {
    @Test(arguments: StoreBackend.available)
    func exportsRoundTripThroughGeoJSONAndGeoPackage(_ backend: StoreBackend) throws {
        let (store, _) = try makeStore(backend)
        let v1 = try store.dataset(version: 1)
        let dir = Scratch.directory + "/export-\(UUID().uuidString)"
        let gpkg = dir + ".gpkg"
        let built = try Snapshot(dataset: v1).dataset
        try built.write(directory: dir)
        try GeoPackage.write(built, to: gpkg)
        // GDAL reads the GeoPackage: every layer with its count.
        let info = try #require(run("ogrinfo", ["-so", "-al", gpkg]), "ogrinfo (gdal-bin) must be installed")
        for (layer, count) in [("outline", 1), ("streets", 9), ("communities", 70), ("grids", 674), ("resources", 5165),
                               ("addresses", v1.addresses.count)] {
            #expect(info.contains("Layer name: \(layer)\n") && info.contains("Feature Count: \(count)\n"), "\(layer)")
        }
        // Both read back to the same content: importing them publishes nothing.
        for source in [try Dataset.load(directory: dir), try GeoPackage.read(gpkg)] {
            #expect(throws: StoreError.self) {
                try Planner(store: store).importVersion(source, author: "t", message: "same")
            }
            #expect(StoreContent(try source.derivingShapes()).changes(to: try store.content(version: 1)).isEmpty)
        }
        // A planner's edit in the GeoPackage (here through SQLite, as QGIS writes it) comes
        // back as exactly that change.
        let db = try SQLiteDatabase(path: gpkg)
        try db.execute("UPDATE grids SET name = '新网格名' WHERE id = '450203001001001'")
        let (v2, _) = try Planner(store: store).importVersion(try GeoPackage.read(gpkg), author: "planner",
                                                             message: "renamed in QGIS")
        #expect(v2.changedGrids == ["450203001001001"])
        let diff = try store.diff(from: 1, to: 2)
        #expect(diff["layers"]?["grids"]?["changed"]?.array?.count == 1)
        #expect(
            diff["layers"]?["grids"]?["changed"]?.array?.first?["attributes"]?["name"]?.array?.last?.string == "新网格名")
    }

    /// A GeoPackage export passes GDAL's own validator, and every feature layer has an R-tree
    /// (gpkg_rtree_index) that GDAL uses and that stays current when the layer is edited.
    @Test func geoPackageExportsPassGDALsValidatorWithSpatialIndexes() throws {
        let snapshot = try Snapshot(dataset: StoreFixture.dataset)
        let gpkg = Scratch.path("validated") + ".gpkg"
        try GeoPackage.write(snapshot.dataset, to: gpkg)
        let validator = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
        #expect(FileManager.default.fileExists(atPath: validator), "python3-gdal must be installed")
        #expect(run("python3", [validator, gpkg]) != nil, "validate_gpkg.py refuses the export")
        let db = try SQLiteDatabase(path: gpkg)
        for (layer, count) in [("grids", 674), ("addresses", snapshot.dataset.addresses.count),
                               ("resources", snapshot.dataset.resources.count),
                               ("units", snapshot.dataset.units.count)] {
            #expect(try db.scalar("SELECT count(*) FROM rtree_\(layer)_geom") == count, "\(layer)")
        }
        // GDAL's spatial filter, through the index, finds exactly the addresses in a box.
        let box = (minX: 109.43, minY: 24.30, maxX: 109.44, maxY: 24.31)
        let want = snapshot.dataset.addresses.filter {
            $0.location.x >= box.minX && $0.location.x <= box.maxX && $0.location.y >= box.minY
                && $0.location.y <= box.maxY
        }.count
        let info = try #require(run("ogrinfo", ["-ro", "-q", "-geom=NO", gpkg, "addresses", "-spat", "\(box.minX)",
                                                "\(box.minY)", "\(box.maxX)", "\(box.maxY)"]))
        let found = info.components(separatedBy: "OGRFeature(addresses)").count - 1
        #expect(want > 10 && found == want, "GDAL found \(found), want \(want)")
        // A grid moved by an edit (as QGIS writes it) moves in the index too.
        let g = snapshot.dataset.grids[0]
        let shifted = Shape.polygon([[Coordinate(110.0, 25.0), Coordinate(110.01, 25.0), Coordinate(110.01, 25.01),
                                      Coordinate(110.0, 25.0)]])
        try db.query("UPDATE grids SET geom = ? WHERE id = ?",
                     [.blob(GeoPackage.blob(shifted.asMultiPolygon, box: shifted.bounds)), .text(g.id)])
        #expect(try db.scalar("SELECT count(*) FROM rtree_grids_geom WHERE minx >= 109.99 AND maxy <= 25.02") == 1)
        #expect(run("python3", [validator, gpkg]) != nil)
    }

    /// Merging grid B into its neighbour A: the derived data follows (addresses, resources,
    /// community shape), B's code is retired, a rollback brings the old map back as a new
    /// version, and every version stays readable as it was.
    @Test(arguments: StoreBackend.available)
    func aRedrawRederivesAndHistoryStays(_ backend: StoreBackend) throws {
        let (store, path) = try makeStore(backend)
        let v1 = try Snapshot(dataset: try store.dataset(version: 1))
        let grids = v1.dataset.grids
        // Two grids of one community that share an edge.
        let geos = ThreadResources.current.geos
        var pair: (Int, Int)?
        search: for i in grids.indices {
            for j in grids.indices where j > i && grids[j].communityID == grids[i].communityID {
                let shared = try geos.geometry(grids[i].shape).intersection(geos.geometry(grids[j].shape))
                if try shared.length() > 1e-4 { pair = (i, j); break search }
            }
        }
        let (a, b) = try #require(pair)
        let merged = try geos.geometry(grids[a].shape).union(geos.geometry(grids[b].shape)).shape()
        var changes = ChangeSet()
        changes.features[.grids] = [
            grids[a].id: FeatureRow(Feature(id: grids[a].id, properties: grids[a].properties, geometry: merged)),
        ]
        changes.features[.grids]![grids[b].id] = .some(nil)
        // B's staff are reassigned to A (a merge must; see the error otherwise).
        for r in v1.dataset.resources where r.gridID == grids[b].id {
            var p = r.properties
            p["grid_id"] = .string(grids[a].id)
            changes.features[.resources, default: [:]][r.id] = FeatureRow(
                Feature(id: r.id, properties: p, geometry: .point(r.location)))
        }
        // Through planning, whose rules re-derive the community and street.
        let info = try Planner(store: store).publish(changes, parent: 1, author: "planner", message: "merge")
        #expect(info.id == 2 && info.changedGrids == [grids[a].id, grids[b].id].sorted())
        let v2 = try Snapshot(dataset: try store.dataset(version: 2))
        let movedAddresses = v1.dataset.addresses.filter { $0.gridID == grids[b].id }
        #expect(!movedAddresses.isEmpty)
        let byID = Dictionary(uniqueKeysWithValues: v2.dataset.addresses.map { ($0.id, $0) })
        #expect(movedAddresses.allSatisfy { byID[$0.id]?.gridID == grids[a].id })
        let geocoded = try v2.geocoder
        if case .addresses(let top) = try geocoded.geocode(movedAddresses[0].text) {
            #expect(top.first?.gridID == grids[a].id)
        } else { Issue.record("geocode of \(movedAddresses[0].text)") }
        let resources = v1.dataset.resources.filter { $0.locatedGridID == grids[b].id }.map(\.id)
        #expect(
            v2.dataset.resources.filter { resources.contains($0.id) }.allSatisfy { $0.locatedGridID == grids[a].id })
        // The community's shape is derived: same area, one grid fewer.
        let community = grids[a].communityID
        let c1 = try #require(v1.dataset.communities.first { $0.id == community })
        let c2 = try #require(v2.dataset.communities.first { $0.id == community })
        let m = try ThreadResources.current.measurer()
        #expect(abs(try m.area(c1.shape) - m.area(c2.shape)) < 1)
        #expect(c2.properties["grid_count"]?.int == (c1.properties["grid_count"]?.int ?? 0) - 1)
        // Built from version 1's parts where they hold, version 2 answers as if built afresh.
        let rebuilt = try Snapshot(dataset: try store.dataset(version: 2), reusing: v1)
        #expect(rebuilt.replies.tails.count == v2.replies.tails.count && v2.replies.tails.count == grids.count)
        #expect((0..<v2.replies.tails.count).allSatisfy { rebuilt.replies.tails[$0] == v2.replies.tails[$0] })
        #expect((0..<v2.resourceHeads.count).allSatisfy { rebuilt.resourceHeads[$0] == v2.resourceHeads[$0] })
        for r in v2.dataset.resources.indices.filter({ $0 % 97 == 0 }).map({ v2.dataset.resources[$0].location }) {
            #expect(rebuilt.nearbyText(point: r, kind: nil, radius: nil, limit: 5)
                    == v2.nearbyText(point: r, kind: nil, radius: nil, limit: 5))
        }
        // The grids alone, as a start-up reads them for its index, are each version's grids
        // (the merged-away grid's removal included) ...
        for (v, snapshot) in [(1, v1), (2, v2)] {
            let alone = try store.gridShapes(version: v)
            #expect(alone.map(\.id) == snapshot.dataset.grids.map(\.id))
            #expect(alone.map(\.shape) == snapshot.dataset.grids.map(\.shape))
        }
        // ... and an index built beforehand is taken only when it indexes the version's grids.
        let stale = try Snapshot(dataset: try store.dataset(version: 2), gridIndex: v1.grids)
        #expect(stale.grids.cells.directory == v2.grids.cells.directory)
        #expect(stale.grids.cells.records == v2.grids.cells.records && stale.grids.boxes.count == grids.count - 1)
        let taken = try Snapshot(dataset: try store.dataset(version: 2), gridIndex: v2.grids)
        func storage(_ s: Snapshot) -> UnsafePointer<UInt32>? {
            s.grids.cells.directory.withUnsafeBufferPointer { $0.baseAddress }
        }
        #expect(storage(taken) == storage(v2), "the matching index is used as it is, not rebuilt")
        // The diff says what moved.
        let diff = try store.diff(from: 1, to: 2)
        #expect(diff["layers"]?["grids"]?["removed"] == .array([.string(grids[b].id)]))
        let moved = diff["layers"]?["grids"]?["changed"]?.array?.first?["geometry"]?["area_moved_m2"]?.number ?? 0
        #expect(abs(moved - (try m.area(grids[b].shape))) < 1)
        // B's code is retired: it cannot come back as a new grid ...
        var again = ChangeSet()
        again.features[.grids] = [grids[b].id: FeatureRow(Feature(id: grids[b].id, properties: grids[b].properties,
                                                                   geometry: grids[b].shape))]
        #expect(throws: StoreError.self) {
            try Planner(store: store).publish(again, parent: 2, author: "p", message: "reuse")
        }
        // ... but a rollback restores the map as it was, as version 3.
        let back = try store.rollback(to: 1, author: "planner")
        #expect(back.id == 3)
        #expect(StoreContent(try store.dataset(version: 3)).changes(to: try store.content(version: 1)).isEmpty)
        // As of version 2 (or the moment it was published) the merge still answers.
        let service = try MapService(storeLocation: path)
        #expect(service.current.version == "3")
        let fresh = try Snapshot(dataset: try store.dataset(version: 3))
        #expect(service.current.grids.cells.directory == fresh.grids.cells.directory)
        #expect(service.current.grids.cells.records == fresh.grids.cells.records)
        let asOf = try MapView(service).snapshot(asOf: "2")
        #expect(asOf.locate(movedAddresses[0].location).map { asOf.dataset.grids[$0].id } == grids[a].id)
        #expect(
            service.current.locate(movedAddresses[0].location).map { service.current.dataset.grids[$0].id }
                == grids[b].id)
        #expect(service.cachedVersions == [2])
        #expect(try service.resolve(asOf: VersionInfo.iso(info.publishedMs)) == 2)
        #expect(try store.verify()["versions"]?.int == 3)
    }

    /// Served versions read their addresses only when geocoding, in one pass over the table:
    /// the same addresses as the version's content, shared by versions that change none, and
    /// located in the version's own grids.
    @Test(arguments: StoreBackend.available)
    func addressesAreReadWhenFirstGeocoded(_ backend: StoreBackend) throws {
        let (store, path) = try makeStore(backend)
        let all = try store.addressSource(version: 1).addresses()
        #expect(all.count == StoreFixture.dataset.addresses.count && all.map(\.id) == all.map(\.id).sorted())
        var moved = all[0]
        moved.text += "（新）"
        moved.location = Coordinate(moved.location.x + 1e-5, moved.location.y)
        var changes = ChangeSet()
        changes.addresses[moved.id] = .some(moved)
        changes.addresses[all[1].id] = .some(nil)
        try store.publish(changes, parent: 1, author: "test", message: "an address moved, another gone")
        let v2 = try store.addressSource(version: 2).addresses()
        #expect(v2 == (try store.content(version: 2).addresses ?? [:]).values.sorted { $0.id < $1.id })
        #expect(v2.count == all.count - 1 && v2.first { $0.id == moved.id } == moved)
        #expect(try store.addressSource(version: 1).addresses() == all)

        let g = StoreFixture.dataset.grids[0]
        var renamed = g.properties
        renamed["name"] = "改名网格"
        changes = ChangeSet()
        changes.features[.grids] = [g.id: FeatureRow(Feature(id: g.id, properties: renamed, geometry: g.shape))]
        try store.publish(changes, parent: 2, author: "test", message: "a grid renamed")
        let source = try store.addressSource(version: 2)
        #expect(try store.addressSource(version: 3, reuse: source) === source)
        #expect(try store.addressSource(version: 1, reuse: source) !== source)

        let served = try Snapshot.load(store: path, version: 2)
        #expect(served.dataset.addresses.isEmpty && served.addressCount == v2.count && !served.addressLibraryIsReady)
        let eager = try Snapshot(dataset: try store.dataset(version: 2))
        #expect(try served.addresses() == eager.dataset.addresses)
        _ = try served.geocoder
        #expect(served.addressLibraryIsReady)
    }

    /// Planning's spatial query: a version's live addresses inside a box, equal to filtering
    /// that version's whole list, with addresses moved into, out of and within the box, removed,
    /// and added by later versions (which an earlier version must not see).
    @Test(arguments: StoreBackend.available)
    func addressesInABoxAreTheVersionsOwn(_ backend: StoreBackend) throws {
        let (store, _) = try makeStore(backend)
        let all = try store.addressSource(version: 1).addresses()
        let xs = all.map(\.location.x).sorted(), ys = all.map(\.location.y).sorted()
        let box = BoundingBox(minX: xs[xs.count / 3], minY: ys[ys.count / 3], maxX: xs[xs.count * 2 / 3],
                              maxY: ys[ys.count * 2 / 3])
        let inside = all.filter { box.contains($0.location) }, outside = all.filter { !box.contains($0.location) }
        #expect(inside.count > 10 && outside.count > 10)
        func moved(_ a: Address, to p: Coordinate) -> Address { var b = a; b.location = p; return b }
        let centre = Coordinate((box.minX + box.maxX) / 2, (box.minY + box.maxY) / 2)
        var changes = ChangeSet()
        changes.addresses[inside[0].id] = .some(moved(inside[0], to: Coordinate(box.maxX + 0.01, box.maxY + 0.01)))
        changes.addresses[outside[0].id] = .some(moved(outside[0], to: centre))
        changes.addresses[inside[1].id] = .some(nil)
        changes.addresses[inside[2].id] = .some(moved(inside[2], to: Coordinate(box.minX, box.minY)))  // on its corner
        var added = inside[3]
        added.id = "zz-new-address"
        changes.addresses[added.id] = .some(added)
        try store.publish(changes, parent: 1, author: "test", message: "addresses moved, removed, added")
        // Version 3 moves one back out and removes the one added: version 2 must not see either.
        changes = ChangeSet()
        changes.addresses[outside[0].id] = .some(outside[0])
        changes.addresses[added.id] = .some(nil)
        try store.publish(changes, parent: 2, author: "test", message: "and back")
        for v in 1...3 {
            let expected = try store.addressSource(version: v).addresses().filter { box.contains($0.location) }
            let got = try store.addresses(version: v, in: box).sorted { $0.id < $1.id }
            // Ids first (a short message when they differ), then every field.
            #expect(got.map(\.id) == expected.map(\.id),
                    "version \(v): \(got.count) read, \(expected.count) expected")
            if got.map(\.id) == expected.map(\.id) { #expect(got == expected, "version \(v)") }
        }
        let v2 = Set(try store.addresses(version: 2, in: box).map(\.id))
        #expect(v2.contains(outside[0].id) && v2.contains(added.id) && v2.contains(inside[2].id))
        #expect(!v2.contains(inside[0].id) && !v2.contains(inside[1].id))
    }

    @Test func historyIsAppendOnly() throws {
        let (store, path) = try makeStore()
        _ = store
        let db = try SQLiteDatabase(path: path)
        for sql in [
            "UPDATE feature SET props = '{}'", "DELETE FROM feature", "DELETE FROM version",
            "UPDATE address SET text = ''",
        ] {
            #expect(throws: SQLiteError.self) { try db.execute(sql) }
            do { try db.execute(sql) } catch { #expect("\(error)".contains("append-only"), "\(sql)") }
        }
    }

    @Test func filesThatAreNotStoresAreNamed() throws {
        let dir = Scratch.directory
        let garbage = dir + "/gridmap-garbage-\(UUID().uuidString).gridmap"
        #expect(FileManager.default.createFile(atPath: garbage, contents: Data(repeating: 0x42, count: 10_000)))
        let other = dir + "/gridmap-other-\(UUID().uuidString).sqlite"
        try SQLiteDatabase(path: other).execute("CREATE TABLE t(x)")
        let (_, newer) = try makeStore()
        try SQLiteDatabase(path: newer).execute("PRAGMA user_version = 99")
        for (path, words) in [(garbage, "not a SQLite database"), (other, "not a gridmap store"),
                              (newer, "newer gridmap"), (dir + "/nothing-here.gridmap", "no such store file")] {
            do { _ = try SQLiteStore(path: path); Issue.record("opened \(path)") } catch {
                #expect("\(error)".contains(path) && "\(error)".contains(words), "\(error)")
            }
        }
    }

    /// What a version costs: each of these changes one grid's boundary (and so its
    /// community's and street's derived shapes). `gridmap-bench store` runs 1,000 of them.
    @Test func aVersionStoresWhatItChanges() throws {
        let (store, path) = try makeStore()
        func size() -> Int {
            ["", "-wal"].reduce(0) {
                $0 + (((try? FileManager.default.attributesOfItem(atPath: path + $1))?[.size] as? Int) ?? 0)
            }
        }
        try store.checkpoint()
        let before = size()
        var grids = try store.dataset(version: 1).grids.sorted { $0.id < $1.id }
        let count = 40
        for k in 0..<count {
            grids[k].shape = grids[k].shape.bumpedOutward()
            var changes = ChangeSet()
            changes.features[.grids] = [
                grids[k].id: FeatureRow(
                    Feature(
                        id: grids[k].id, properties: grids[k].properties,
                        geometry: grids[k].shape))
            ]
            try store.publish(changes, parent: k + 1, author: "t", message: "bump")
        }
        try store.checkpoint()
        let perVersion = (size() - before) / count
        print("store: \(perVersion) bytes per version that changes one grid's boundary")
        #expect(perVersion < 50_000, "1,000 such versions would take more than 50 MB")
    }
}

