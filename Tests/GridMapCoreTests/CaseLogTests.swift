import Foundation
import GridMapTestSupport
import Testing

@testable import GridMapCases
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapPostgres
@testable import GridMapSQLite
@testable import GridMapStore
@testable import GridMapStores

/// The case log on every backend, through the engine's request types (as every skin uses
/// them): intake stamps what the map says, the stage machine allows only its table, refusals
/// store nothing, an idempotency key makes one case, and the history is append-only.
@Suite struct CaseLogTests {
    static let point = (lon: 109.4200897, lat: 24.3072275)
    static let dispatcher = CaseActor(account: "调度员甲", role: .dispatcher)
    static let reporter = CaseActor(account: "default", role: .reporter)

    private func code(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as KindedError { return e.code } catch { return "\(error)" }
    }

    private func json(_ bytes: [UInt8]) throws -> JSONValue { try JSONParser.parse(bytes) }

    private func report(_ map: MapView, category: String = "0101", description: String = "路边有垃圾",
                        key: String? = nil, actor: CaseActor = reporter, at ms: Int64 = Clock.nowMs,
                        lon: Double = point.lon, lat: Double = point.lat) throws -> JSONValue {
        let r = try CaseReportRequest(place: .point(PointQuery(lon: lon, lat: lat)), category: category,
                                      description: description, contact: CaseContact(name: "张三", phone: "13800000000"),
                                      key: key)
        return try json(try r.answer(map, actor: actor, nowMs: ms))
    }

    private func act(_ map: MapView, _ id: Int, _ action: String, note: String? = nil, unit: String? = nil,
                     due: String? = nil, expect: Int? = nil, actor: CaseActor = dispatcher) throws -> JSONValue {
        let r = try CaseActRequest(id: "\(id)", action: action, note: note, unit: unit, due: due,
                                   expect: expect.map(String.init))
        return try json(try r.answer(map, actor: actor))
    }

    @Test(arguments: StoreBackend.available)
    func intakeStampsAndTheStagesHold(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("cases")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let service = try MapService(storeLocation: location)
        let map = MapView(service)
        let now = Clock.nowMs
        let c = try report(map, at: now)
        let id = try #require(c["id"]?.int)
        // The stamp is what LOCATE and ROUTE say at that point.
        let p = Coordinate(Self.point.lon, Self.point.lat)
        let route = try RouteRequest.route(map.current, p, category: "0101", border: 15, receivedMs: now)
        #expect(c["stamp"]?["grid"]?.string == map.current.locate(p).map { map.current.dataset.grids[$0].id })
        #expect(c["stamp"]?["grid"] == route["grid"]?["id"])
        #expect(c["stamp"]?["unit"] == route["unit"]?["id"])
        #expect(c["stamp"]?["street"] == route["street"]?["id"])
        #expect(c["stamp"]?["version"]?.int == 1)
        #expect(c["stamp"]?["due_at"] == route["category"]?["due_at"])
        #expect(c["stage"] == "reported" && c["created"] == .bool(true) && c["last_event"]?.int == 1)
        // A reporter sees no contact; a dispatcher does.
        #expect(c["contact"] == nil)
        let seen = try json(try CaseGetRequest(id: id).answer(map, actor: Self.dispatcher))
        #expect(seen["contact"]?["phone"] == "13800000000")

        // The whole path, with one failed 核查.
        for (action, note) in [("accept", nil), ("dispatch", nil), ("handle", "已清理"), ("fail", "未清干净"),
                               ("handle", "已复清"), ("pass", nil)] as [(String, String?)] {
            _ = try act(map, id, action, note: note)
        }
        let done = try json(try CaseGetRequest(id: id).answer(map, actor: Self.dispatcher))
        #expect(done["stage"] == "closed" && done["reworks"]?.int == 1 && done["closed_at"] != nil)
        #expect(done["unit"] == route["unit"]?["id"], "dispatched to the stamped unit by default")
        let history = try #require(done["history"]?.array)
        #expect(history.map { $0["to"]?.string ?? "" }
                == ["reported", "accepted", "dispatched", "handled", "dispatched", "handled", "closed"])
        #expect(history.map { $0["seq"]?.int ?? 0 } == Array(1...7))
        #expect(history.last?["account"] == "调度员甲")

        // Refused: from a finished case, by the wrong role, on a stale event number, without a
        // required note; nothing appended by any of them.
        #expect(code { _ = try act(map, id, "handle", note: "再处置") } == "action_not_allowed")
        let c2 = try #require(try report(map)["id"]?.int)
        #expect(code { _ = try act(map, c2, "accept", actor: Self.reporter) } == "role_not_allowed")
        #expect(code { _ = try act(map, c2, "refuse") } == "missing_field")
        _ = try act(map, c2, "accept", expect: 1)
        #expect(code { _ = try act(map, c2, "accept", expect: 1) } == "stale_case")
        #expect(code { _ = try act(map, c2, "dispatch", expect: 1) } == "stale_case")
        #expect(code { _ = try act(map, c2, "fly") } == "unknown_action")
        #expect(code { _ = try act(map, 999_999, "accept") } == "unknown_case")
        #expect(code { _ = try act(map, c2, "redispatch", note: "x", unit: "NOPE") } == "unknown_unit")
        let after = try json(try CaseGetRequest(id: c2).answer(map, actor: Self.dispatcher))
        #expect(after["last_event"]?.int == 2 && after["stage"] == "accepted")

        // 延期: a later due time, counted; 缓办 and back.
        _ = try act(map, c2, "extend", note: "需协调", due: "2099-01-01T00:00:00+08:00")
        _ = try act(map, c2, "defer", note: "等待施工")
        let resumed = try act(map, c2, "resume")
        #expect(resumed["stage"] == "accepted" && resumed["extensions"]?.int == 1)
        #expect(resumed["due_at"] == "2099-01-01T00:00:00+08:00")
    }

    @Test(arguments: StoreBackend.available)
    func refusedReportsStoreNothingAndKeysMakeOneCase(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("cases-refused")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let map = MapView(try MapService(storeLocation: location))
        let first = try report(map, key: "handheld-7-0001")
        let again = try report(map, key: "handheld-7-0001")
        #expect(again["id"] == first["id"] && again["created"] == .bool(false))
        #expect(code { _ = try report(map, category: "9999") } == "unknown_category")
        #expect(code { _ = try report(map, lon: 109.0, lat: 24.0) } == "outside_district")
        #expect(code { _ = try report(map, description: String(repeating: "长", count: 4001)) } == "bad_case")
        #expect(code { _ = try report(map, description: "<img src=x onerror=alert(1)>") } == "text_not_allowed")
        #expect(code { _ = try report(map, description: "a\u{202E}b") } == "text_not_allowed")
        #expect(code {
            _ = try CaseReportRequest(place: .point(PointQuery(lon: 109.42, lat: 24.3)), category: "0101",
                                      media: ["javascript:alert(1)"])
        } == "bad_case")
        #expect(try map.service.cases.with { try $0.count() } == 1)
    }

    @Test(arguments: StoreBackend.available)
    func historyIsAppendOnlyAndFiltersSelect(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("cases-filters")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let map = MapView(try MapService(storeLocation: location))
        let a = try report(map, at: Clock.nowMs - 10 * 86_400_000)
        let b = try report(map, category: "0102", lon: 109.4335791, lat: 24.2611188)
        let aid = try #require(a["id"]?.int), bid = try #require(b["id"]?.int)
        func ids(_ parameters: [(String, String)]) throws -> [Int] {
            let answer = try json(try CaseListRequest(parameters).answer(map, actor: Self.dispatcher))
            return answer["cases"]?.array?.compactMap { $0["id"]?.int } ?? []
        }
        #expect(try ids([]) == [aid, bid], "by due time: the older report first")
        #expect(try ids([("overdue", "true")]) == [aid])
        // /metrics' gauges: two open, the back-dated one overdue; closed or voided cases leave both.
        #expect(try map.service.cases.with { try $0.openCounts(nowMs: Clock.nowMs) } == (2, 1))
        #expect(try map.service.cases.with { try $0.openCounts(nowMs: Clock.nowMs - 20 * 86_400_000) } == (2, 0))
        #expect(try ids([("grid", a["stamp"]?["grid"]?.string ?? "")]) == [aid])
        #expect(try ids([("category", "0102")]) == [bid])
        #expect(try ids([("stage", "accepted")]) == [])
        #expect(try ids([("circle", "\(Self.point.lon),\(Self.point.lat),50")]) == [aid])
        #expect(try ids([("box", "109.43,24.26,109.44,24.27")]) == [bid])
        #expect(code { _ = try CaseListRequest([("colour", "red")]) } == "unknown_parameter")
        let geo = try json(try CaseListRequest([("format", "geojson")]).answer(map, actor: Self.reporter))
        #expect(geo["features"]?.array?.count == 2 && geo["features"]?.array?.first?["properties"]?["contact"] == nil)

        // The map's history still verifies beside the case log's own append-only tables.
        #expect(try Stores.open(location).verify()["integrity"] == "ok")
        // The report and its events cannot be rewritten, whoever holds the database.
        let attempt = "UPDATE " + (backend == .postgresql ? "gridmap." : "") + "case_event SET body = '{}'"
        switch backend {
        case .sqlite:
            let db = try SQLiteDatabase(path: location, mode: .readWriteCreate)
            #expect(throws: SQLiteError.self) { try db.execute(attempt) }
        case .postgresql:
            let db = try PostgreSQLConnection(location)
            #expect(throws: PostgreSQLError.self) { try db.exec(attempt) }
        }
    }

    /// Two dispatchers on two connections act on one case expecting the same event: one wins,
    /// the other is told `stale_case`, and the history holds one event more.
    @Test(arguments: StoreBackend.available)
    func twoAtOnceOneWins(_ backend: StoreBackend) async throws {
        let location = try backend.newLocation("cases-race")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let one = MapView(try MapService(storeLocation: location)), two = MapView(try MapService(storeLocation: location))
        let id = try #require(try report(one)["id"]?.int)
        async let x: String? = Task.detached { code { _ = try act(one, id, "accept", expect: 1) } }.value
        async let y: String? = Task.detached { code { _ = try act(two, id, "accept", expect: 1) } }.value
        let outcomes = await [x, y]
        #expect(outcomes.filter { $0 == nil }.count == 1 && outcomes.contains("stale_case"), "\(outcomes)")
        let seen = try json(try CaseGetRequest(id: id).answer(two, actor: Self.dispatcher))
        #expect(seen["last_event"]?.int == 2)
    }
}
