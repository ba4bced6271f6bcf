import Foundation
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

/// The version algorithm (`VersionBackend`'s extension), run unchanged on every backend: each
/// operation and each refusal, with the same error code on both, and nothing written by a
/// refused call.
@Suite struct VersionAlgorithmTests {
    /// The code of the error `body` throws, or nil when it throws none.
    private func code(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as KindedError { return e.code } catch { return "\(error)" }
    }

    /// A change renaming grid `id` to `name` on top of `store`'s version `v`.
    private func rename(_ store: any VersionedStore, version v: Int, grid id: String, to name: String) throws
        -> ChangeSet
    {
        let row = try #require(try store.content(version: v, addresses: false).layers[.grids]?[id] ?? nil)
        var props = try #require(try JSONParser.parse(row.props).object)
        props["name"] = .string(name)
        var changes = ChangeSet()
        changes.features[.grids] = [id: FeatureRow(props: JSONValue.object(props).serialized, geom: row.geom)]
        return changes
    }

    @Test(arguments: StoreBackend.available)
    func everyOperationAndRefusal(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("algorithm")
        let store = try Stores.create(location, from: StoreFixture.dataset, author: "test", message: "v1")
        let grid = "450203001001001"
        #expect(try store.head() == 1)
        #expect(try store.version(1).parent == nil)

        // Publish on the expected parent.
        let v2 = try store.publish(try rename(store, version: 1, grid: grid, to: "甲"), parent: 1, author: "a",
                                   message: "renamed")
        #expect(v2.id == 2 && v2.parent == 1 && v2.changedGrids == [grid] && v2.author == "a")
        #expect(v2.summary["changed"]?["grids"]?.int == 1)

        // Stale: another parent than the head; nothing written.
        #expect(code { try store.publish(try rename(store, version: 1, grid: grid, to: "乙"), parent: 1,
                                         author: "b", message: "late") } == "stale_version")
        // Empty: the content already holds it.
        #expect(code { try store.publish(try rename(store, version: 2, grid: grid, to: "甲"), parent: 2,
                                         author: "b", message: "same") } == "nothing_to_publish")
        #expect(code { try store.publish(ChangeSet(), parent: 2, author: "b", message: "none") }
                == "nothing_to_publish")
        #expect(try store.head() == 2 && store.versions().count == 2)

        // Rollback: the target must be a version other than the current one.
        for target in [0, -1, 3, 99] {
            #expect(code { try store.rollback(to: target, author: "r") } == "unknown_version", "rollback to \(target)")
        }
        #expect(code { try store.rollback(to: 2, author: "r") } == "already_current")
        #expect(try store.head() == 2)
        let v3 = try store.rollback(to: 1, author: "r")
        #expect(v3.id == 3 && v3.parent == 2 && v3.message == "roll back to version 1")
        #expect(try store.content(version: 1, addresses: true).changes(to: store.content(version: 3, addresses: true))
                    .isEmpty)
        #expect(try store.content(version: 2, addresses: false).layers[.grids]?[grid]?.props.contains("甲") == true)

        // Reading versions that are not there.
        #expect(code { _ = try store.version(4) } == "unknown_version")
        #expect(code { _ = try store.content(version: 4, addresses: false) } == "unknown_version")

        // As-of: a version's id, a moment, and what names neither.
        #expect(try store.resolve(asOf: "2") == 2)
        #expect(try store.resolve(asOf: "v3") == 3)
        #expect(try store.resolve(asOf: VersionInfo.iso(Clock.nowMs + 60_000)) == 3)
        #expect(try store.resolve(asOf: VersionInfo.iso(v2.publishedMs)) >= 2)
        #expect(code { _ = try store.resolve(asOf: "99") } == "unknown_version")
        #expect(code { _ = try store.resolve(asOf: "2001-01-01") } == "unknown_version")
        #expect(code { _ = try store.resolve(asOf: "yesterday") } == "bad_asof")

        // A draft closed by its publish, unless it was saved since.
        let draft = try store.createDraft(name: "d", author: "p", base: 3)
        let edit = try rename(store, version: 3, grid: grid, to: "丙")
        try store.saveDraft(draft, rows: edit, log: [["op": "rename"]])
        #expect(code { try store.publish(edit, parent: 3, author: "p", message: "m",
                                         closing: (draft.id, draft.revision), dataset: nil) } == "draft_changed")
        #expect(try store.head() == 3, "a refused draft closing writes no version")
        let saved = try store.draftInfo(draft.id)
        let v4 = try store.publish(edit, parent: 3, author: "p", message: "m", closing: (saved.id, saved.revision),
                                   dataset: nil)
        #expect(v4.id == 4)
        #expect(try store.draftInfos(all: false).isEmpty)

        // Verify: the chain and each version's counts.
        let report = try store.verify()
        #expect(report["integrity"]?.string == "ok" && report["versions"]?.int == 4 && report["head"]?.int == 4)
        let newest = try store.verify(from: 3)
        #expect(report["read_back"]?.int == 4 && newest["read_back"]?.int == 2)

        // A copied version must continue the chain.
        let backendStore = try #require(store as? any VersionBackend)
        #expect(code { try backendStore.append(copy: v2, changes: edit) } == "stale_version")
        #expect(try store.head() == 4)
    }

    /// Stores and drafts, on every backend: a second store where one is, drafts that are not
    /// there, saves and closings overtaken by another save, the codes drafts hold, and the ids
    /// and codes the history changed; each refusal the same code, nothing written by it.
    @Test(arguments: StoreBackend.available)
    func storesAndDraftsRefusedAlike(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("drafts")
        let store = try Stores.create(location, from: StoreFixture.dataset, author: "test", message: "v1")
        #expect(code { _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "again") }
                == "store_exists")
        #expect(try Stores.open(location).head() == 1 && Stores.open(location).versions().count == 1)

        #expect(code { _ = try store.draftInfo(999) } == "unknown_draft")
        #expect(code { try store.discardDraft(999) } == "unknown_draft")
        #expect(code { _ = try store.createDraft(name: "d", author: "p", base: 1).id } == nil)
        let d = try #require(try store.draftInfos(all: false).first)
        #expect(d.status == "open" && d.revision == 0 && d.base == 1 && d.name == "d" && d.author == "p")

        // A save on a revision another save overtook: refused, the other's rows kept.
        let grid = "450203001001003"
        let first = try rename(store, version: 1, grid: grid, to: "甲")
        try store.saveDraft(d, rows: first, log: [["op": "a"]])
        #expect(code { try store.saveDraft(d, rows: try rename(store, version: 1, grid: grid, to: "乙"),
                                           log: [["op": "b"]]) } == "draft_changed")
        let saved = try store.draftInfo(d.id)
        #expect(saved.revision == 1 && saved.log.count == 1)
        #expect(try store.draftRows(d.id).features[.grids]?[grid]??.props.contains("甲") == true)
        #expect(try store.gridCodesInDrafts() == [grid], "an open draft's grid codes are reserved")

        // Discarded: closed, its rows and codes gone; discarding or saving it again is refused.
        try store.discardDraft(d.id)
        #expect(try store.draftInfo(d.id).status == "discarded")
        #expect(try store.draftRows(d.id).features.values.allSatisfy { $0.isEmpty })
        #expect(try store.gridCodesInDrafts().isEmpty)
        #expect(try store.draftInfos(all: false).isEmpty && store.draftInfos(all: true).count == 1)
        #expect(code { try store.discardDraft(d.id) } == "draft_changed")
        #expect(code { try store.saveDraft(saved, rows: first, log: []) } == "draft_changed")
        #expect(try store.head() == 1, "no refusal wrote a version")

        // What the history changed, by id and by grid code.
        #expect(try store.changedIDs(since: 1, layers: [.grids]).isEmpty)
        _ = try store.publish(first, parent: 1, author: "a", message: "m")
        #expect(try store.changedIDs(since: 1, layers: [.grids]) == [grid])
        #expect(try store.changedIDs(since: 1, layers: [.resources]).isEmpty)
        #expect(try store.changedIDs(since: 2, layers: [.grids]).isEmpty)
        let codes = try store.gridCodeHistory()
        #expect(codes[grid] == 2 && codes.count == StoreFixture.dataset.grids.count)
    }

    /// A store that may only be read, and one whose place another history took under an open
    /// handle, on every backend: each write refused with the same code, reads going on where
    /// they can, nothing written.
    @Test(arguments: StoreBackend.available)
    func readOnlyAndReplacedStoresRefusedAlike(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("lost")
        let store = try Stores.create(location, from: StoreFixture.dataset, author: "test", message: "v1")
        let grid = "450203001001004"

        let reader = try backend.openReadOnly(location)
        #expect(try reader.head() == 1 && reader.content(version: 1, addresses: false).layers[.grids]?.count
                    == StoreFixture.dataset.grids.count, "a read-only store is still read")
        #expect(code { _ = try reader.publish(try rename(reader, version: 1, grid: grid, to: "甲"), parent: 1,
                                              author: "r", message: "m") } == "store_read_only")
        #expect(code { _ = try reader.createDraft(name: "d", author: "r", base: 1) } == "store_read_only")
        try backend.allowWrites(location)
        #expect(try store.head() == 1 && store.draftInfos(all: true).isEmpty, "nothing was written")

        try backend.replaceWithAnother(location)
        #expect(code { try store.checkIntact() } == "store_unusable")
        #expect(code { _ = try store.publish(try rename(store, version: 1, grid: grid, to: "乙"), parent: 1,
                                             author: "a", message: "m") } == "store_unusable")
        #expect(code { _ = try store.createDraft(name: "d", author: "a", base: 1) } == "store_unusable")
        let other = try Stores.open(location)
        #expect(try other.head() == 1 && other.version(1).message == "another history", "the other one untouched")
    }

    /// Two handles on one store: the second publisher, having read the same head, is refused.
    @Test(arguments: StoreBackend.available)
    func twoHandlesPublishOneChain(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("two")
        let a = try Stores.create(location, from: StoreFixture.dataset, author: "test", message: "v1")
        let b = try Stores.open(location)
        let grid = "450203001001002"
        _ = try a.publish(try rename(a, version: 1, grid: grid, to: "甲"), parent: 1, author: "a", message: "a")
        #expect(code { try b.publish(try rename(b, version: 1, grid: grid, to: "乙"), parent: 1, author: "b",
                                     message: "b") } == "stale_version")
        #expect(try b.head() == 2 && b.version(2).author == "a")
        #expect(try b.verify()["versions"]?.int == 2)
    }
}

extension StoreBackend {
    /// `location`'s store opened where it may only be read: SQLite's read-only mode; on
    /// PostgreSQL a database whose transactions are read-only, as a standby's are.
    func openReadOnly(_ location: String) throws -> any VersionedStore {
        switch self {
        case .sqlite: return try Stores.open(location, readOnly: true)
        case .postgresql:
            try TestDatabase.admin("ALTER DATABASE \(try database(location)) SET default_transaction_read_only = on")
            return try Stores.open(location)
        }
    }

    /// Writes allowed again where `openReadOnly` forbade them (new connections).
    func allowWrites(_ location: String) throws {
        guard self == .postgresql else { return }
        try TestDatabase.admin("ALTER DATABASE \(try database(location)) RESET default_transaction_read_only")
    }

    /// Another store's history put in `location`'s place, under the handles open on it: on
    /// SQLite another store's file renamed over it; on PostgreSQL the schema dropped and
    /// another store made in the database.
    func replaceWithAnother(_ location: String) throws {
        switch self {
        case .sqlite:
            let other = Scratch.path("other") + ".gridmap"
            _ = try Stores.create(other, from: StoreFixture.dataset, author: "x", message: "another history")
            #expect(rename(other, location) == 0)
        case .postgresql:
            try PostgreSQLConnection(location).exec("DROP SCHEMA gridmap CASCADE")
            _ = try Stores.create(location, from: StoreFixture.dataset, author: "x", message: "another history")
        }
    }

    /// The database a PostgreSQL location names (libpq takes the last `dbname`).
    private func database(_ location: String) throws -> String {
        try #require(location.components(separatedBy: " ").last { $0.hasPrefix("dbname=") })
            .dropFirst("dbname=".count).description
    }
}
