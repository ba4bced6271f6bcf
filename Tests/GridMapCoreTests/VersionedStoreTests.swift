import Dispatch
import Synchronization
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

/// A real `SQLiteStore` seen only through the protocol, with a hook after each call: what a
/// second backend would be to the engine. Every call goes to the SQLite store underneath.
final class ObservedStore: VersionedStore, @unchecked Sendable {
    let inner: SQLiteStore
    /// Called with each method's name before it runs (under the service's lock).
    var before: (String) -> Void = { _ in }
    /// Called with each method's name after it returned (still under the service's lock).
    var after: (String) -> Void = { _ in }
    init(_ inner: SQLiteStore) { self.inner = inner }

    private func call<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        before(name)
        defer { after(name) }
        return try body()
    }

    var location: String { inner.location }
    func head() throws -> Int { try call("head") { try inner.head() } }
    func versions() throws -> [VersionInfo] { try call("versions") { try inner.versions() } }
    func version(_ id: Int) throws -> VersionInfo { try call("version") { try inner.version(id) } }
    func resolve(asOf text: String) throws -> Int { try call("resolve") { try inner.resolve(asOf: text) } }
    func diff(from a: Int, to b: Int) throws -> JSONValue { try call("diff") { try inner.diff(from: a, to: b) } }
    // A read of every address is named apart ("…+addresses"): planning must not make one.
    func content(version: Int, addresses: Bool) throws -> StoreContent {
        try call(addresses ? "content+addresses" : "content") {
            try inner.content(version: version, addresses: addresses)
        }
    }
    func dataset(version: Int, addresses: Bool) throws -> Dataset {
        try call(addresses ? "dataset+addresses" : "dataset") {
            try inner.dataset(version: version, addresses: addresses)
        }
    }
    func gridShapes(version: Int) throws -> [(id: String, shape: Shape)] {
        try call("gridShapes") { try inner.gridShapes(version: version) }
    }
    func addressSource(version: Int, reuse: AddressSource?) throws -> AddressSource {
        try call("addressSource") { try inner.addressSource(version: version, reuse: reuse) }
    }
    /// The boxes planning asked for addresses in.
    var boxes: [BoundingBox] = []
    func addresses(version v: Int, in box: BoundingBox) throws -> [Address] {
        boxes.append(box)
        return try call("addresses") { try inner.addresses(version: v, in: box) }
    }
    func changedIDs(since base: Int, layers: [Layer]) throws -> Set<String> {
        try call("changedIDs") { try inner.changedIDs(since: base, layers: layers) }
    }
    func gridCodeHistory() throws -> [String: Int] { try call("gridCodeHistory") { try inner.gridCodeHistory() } }
    func publish(_ changes: ChangeSet, parent: Int, author: String, message: String,
                 closing draft: (id: Int, revision: Int)?, dataset: Dataset?) throws -> VersionInfo {
        try call("publish") {
            try inner.publish(changes, parent: parent, author: author, message: message, closing: draft,
                              dataset: dataset)
        }
    }
    func rollback(to target: Int, author: String, message: String?) throws -> VersionInfo {
        try call("rollback") { try inner.rollback(to: target, author: author, message: message) }
    }
    func createDraft(name: String, author: String, base: Int) throws -> DraftInfo {
        try call("createDraft") { try inner.createDraft(name: name, author: author, base: base) }
    }
    func draftInfo(_ id: Int) throws -> DraftInfo { try call("draftInfo") { try inner.draftInfo(id) } }
    func draftInfos(all: Bool) throws -> [DraftInfo] { try call("draftInfos") { try inner.draftInfos(all: all) } }
    func draftRows(_ id: Int) throws -> ChangeSet { try call("draftRows") { try inner.draftRows(id) } }
    func saveDraft(_ info: DraftInfo, rows: ChangeSet, log: [JSONValue]) throws {
        try call("saveDraft") { try inner.saveDraft(info, rows: rows, log: log) }
    }
    func discardDraft(_ id: Int) throws { try call("discardDraft") { try inner.discardDraft(id) } }
    func gridCodesInDrafts() throws -> Set<String> { try call("gridCodesInDrafts") { try inner.gridCodesInDrafts() } }
    func checkIntact() throws { try call("checkIntact") { try inner.checkIntact() } }
    func writeRefusal() throws -> String? { try call("writeRefusal") { try inner.writeRefusal() } }
    func verify(from first: Int) throws -> JSONValue { try call("verify") { try inner.verify(from: first) } }
}

@Suite(.serialized) struct VersionedStoreTests {
    static func store() throws -> ObservedStore {
        let path = Scratch.path("protocol") + ".gridmap"
        return ObservedStore(try SQLiteStore.create(path: path, from: StoreFixture.dataset, author: "t", message: "t"))
    }

    /// A new draft through the engine's front door, as a skin opens one.
    static func openDraft(_ service: MapService) throws -> Int {
        let open = try JSONParser.parse(String(decoding: try service.answer(.open(name: "p"), author: "a"),
                                               as: UTF8.self))
        return try #require(open["draft"]?.int)
    }

    /// The engine runs on any `VersionedStore`: lookups, history, planning and a publish, all
    /// through the protocol.
    @Test func theEngineNeedsOnlyTheProtocol() throws {
        let store = try Self.store()
        let service = try MapService(store: store)
        let map = MapView(service)
        let grid = "450203004002006"
        #expect(String(decoding: try GridRequest(grid).answer(map), as: UTF8.self).contains(grid))
        let draft = try Self.openDraft(service)
        _ = try service.answer(try .set(draft: draft, grid: grid, field: "name", value: "新名"), author: "a")
        let published = try JSONParser.parse(String(decoding: try service.answer(.publish(draft: draft, message: nil),
                                                                                 author: "a"), as: UTF8.self))
        #expect(published["version"]?.int == 2)
        #expect(service.current.version == "2")
        let versions = try JSONParser.parse(String(decoding: try VersionsRequest(limit: nil).answer(map),
                                                   as: UTF8.self))
        #expect(versions["versions"]?.array?.count == 2)
    }

    /// Planning reads the addresses near what it changes, never all of them: a split, its
    /// validation and its impact ask the store only for addresses in small boxes (the split
    /// grid's, its pieces', each changed grid's), and still count them (checked against the
    /// whole list).
    @Test func planningReadsOnlyTheAddressesNearTheChange() throws {
        let store = try Self.store()
        let service = try MapService(store: store)
        let draft = try Self.openDraft(service)
        let calls = Mutex<[String]>([])
        store.before = { name in calls.withLock { $0.append(name) } }
        let line = "LINESTRING(109.4195 24.30665, 109.4222 24.30655)"
        _ = try service.answer(try .split(draft: draft, grid: "450203004002006", line: line), author: "a")
        _ = try service.answer(try .validate(draft: draft, version: nil, sliverArea: nil, households: nil),
                               author: "a")
        let impact = try JSONParser.parse(String(decoding: try service.answer(.impact(draft: draft, .json),
                                                                              author: "a"), as: UTF8.self))
        let names = calls.withLock { $0 }
        #expect(names.contains("addresses"))
        #expect(!names.contains { $0.hasSuffix("+addresses") || $0 == "addressSource" }, "\(names)")
        let district = try #require(StoreFixture.dataset.outline.bounds)
        let districtArea = (district.maxX - district.minX) * (district.maxY - district.minY)
        for b in store.boxes { #expect((b.maxX - b.minX) * (b.maxY - b.minY) < districtArea / 100) }
        // The counts from the boxes are the counts over every address.
        let all = StoreFixture.dataset.addresses
        let grid = try #require(StoreFixture.dataset.grids.first { $0.id == "450203004002006" })
        let index = try GridIndex(polygons: [grid.shape])
        let inGrid = all.filter { index.locate($0.location) != nil }.count
        let before = impact["grids"]?.array?.first { $0["id"]?.string == grid.id }?["before"]?["addresses"]?.int
        #expect(before == inGrid)
    }

    /// A planning operation holds the store's lock only for each read and for its save: in
    /// between, while it computes, another thread uses the store. (Under one lock for the
    /// whole operation, the other thread would wait for the save, and the save for it.)
    @Test func planningComputesOffTheStoreLock() throws {
        let store = try Self.store()
        let service = try MapService(store: store)
        let draft = try Self.openDraft(service)
        let armed = Atomic<Bool>(false), served = Atomic<Bool>(false), saved = Atomic<Bool>(false)
        // The operation's last read before it computes arms the check; once that use has let
        // the lock go, on the operation's own thread (so before it computes and saves, on any
        // machine), another thread uses the store. Were the lock held for the whole operation,
        // the other thread would wait out the bound.
        store.after = { name in if name == "gridCodesInDrafts" { armed.store(true, ordering: .relaxed) } }
        store.before = { name in if name == "saveDraft" { saved.store(true, ordering: .relaxed) } }
        try service.serialStore().released.withLock { hook in
            hook = {
                guard armed.exchange(false, ordering: .relaxed) else { return }
                let otherDone = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    _ = try? service.withStore { try $0.head() }
                    otherDone.signal()
                }
                let inTime = otherDone.wait(timeout: .now() + 120) == .success
                served.store(inTime && !saved.load(ordering: .relaxed), ordering: .relaxed)
            }
        }
        let line = "LINESTRING(109.4195 24.30665, 109.4222 24.30655)"
        _ = try service.answer(try .split(draft: draft, grid: "450203004002006", line: line), author: "a")
        let got = served.load(ordering: .relaxed), wasSaved = saved.load(ordering: .relaxed)
        #expect(got, "another thread could not use the store between the split's reads and its save")
        #expect(wasSaved, "the split was saved")
    }
}
