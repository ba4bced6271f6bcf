import Foundation
import Testing
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

/// A write into a store file that is gone, replaced or overwritten is refused as the server's
/// fault (internal) naming what happened, not acknowledged and lost.
@Suite struct StoreIntegrityTests {
    private func draftAttempt(_ store: SQLiteStore) -> StoreError? {
        do {
            _ = try Planner(store: store).open(name: "after", author: "t")
            return nil
        } catch let e as StoreError { return e } catch { return StoreError("", "\(error)") }
    }

    @Test func aRemovedStoreRefusesWrites() throws {
        let (store, path) = try makeStore()
        #expect(draftAttempt(store) == nil)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let e = try #require(draftAttempt(store))
        #expect(e.kind == .internal && e.code == "store_unusable" && e.message.contains("removed"))
        #expect(e.description.contains(path) && !e.message.contains(path))
        #expect(throws: StoreError.self) { try store.rollback(to: 1, author: "t") }
    }

    @Test func aReplacedStoreRefusesWrites() throws {
        let (store, path) = try makeStore()
        try FileManager.default.copyItem(atPath: path, toPath: path + ".copy")
        _ = rename(path + ".copy", path)
        let e = try #require(draftAttempt(store))
        #expect(e.code == "store_unusable" && e.message.contains("replaced"))
    }

    @Test func anOverwrittenStoreRefusesWrites() throws {
        let (store, path) = try makeStore()
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.write(Data(repeating: 0x47, count: 4096))
        try handle.close()
        // Whichever notices first, the check before the write or SQLite reading the header.
        let e = try #require(draftAttempt(store))
        #expect(e.kind == .internal && ["store_unusable", "store_corrupt"].contains(e.code), "\(e)")
    }

    @Test func theServiceReportsTheProblemAndGoesOnServing() throws {
        let (_, path) = try makeStore()
        let service = try MapService(storeLocation: path)
        let seen = LockedBox<[String?]>([])
        service.storeHealth.onChange { p in seen.mutate { $0.append(p?.message) } }
        service.checkStore()
        #expect(service.storeHealth.problem == nil)
        try FileManager.default.removeItem(atPath: path)
        service.checkStore()
        service.checkStore()
        #expect(service.storeHealth.problem?.code == "store_unusable")
        #expect(seen.value.count == 1, "one report per change, not per check")
        let a = Fixtures.dataset.addresses[10]
        #expect(service.current.locate(a.location) != nil)
    }

    /// An import is validated as a draft's publish is: a duplicated grid is refused with its
    /// overlap, and published only with `force`, which the message records.
    @Test func importsAreValidated() throws {
        let (store, _) = try makeStore()
        var grids = StoreFixture.dataset.grids
        var twin = grids[0]
        twin.id = String(twin.id.dropLast(3)) + "999"
        grids.append(twin)
        var edited = StoreFixture.dataset
        edited.grids = grids
        let planner = Planner(store: store)
        #expect(throws: PlanError.self) { try planner.importVersion(edited, author: "t", message: "edited") }
        #expect(try store.head() == 1)
        let (info, report) = try planner.importVersion(edited, author: "t", message: "edited", force: true)
        #expect(info.id == 2 && info.message.contains("--force") && !report.isPublishable)
        #expect(report.errors.contains { $0.rule.contains("overlap") })
    }
}

/// A value behind a lock, for tests that collect what callbacks saw.
final class LockedBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ body: (inout T) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
