import Foundation
import GridMapTestSupport
import Testing

@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapRESP

/// The case log over RESP, as any Redis client sends it: CASE REPORT, CASE GET, CASE ACT and
/// CASES, with the same refusals (and codes) as the other skins.
@Suite struct CaseCommandTests {
    @Test func reportActAndFilterOverRESP() async throws {
        let server = try await TestServer.start { $0.credentials.plannerPassword = "p1an" }
        let reporter = try Client(port: server.port), dispatcher = try Client(port: server.port)
        #expect(try dispatcher.command("AUTH", "planner", "p1an") == .simple("OK"))
        let made = try reporter.command("CASE", "REPORT", "109.4200897", "24.3072275", "0101", "DESCRIPTION",
                                        "井盖缺失", "SOURCE", "hotline", "KEY", "call-42", "PHONE", "13800000000")
        let id = try #require(made.json?["id"]?.int, "\(made)")
        #expect(made.json?["stamp"]?["grid"]?.string == "450203004002006")
        #expect(made.json?["contact"] == nil, "a reporter sees no contact")
        let again = try reporter.command("CASE", "REPORT", "109.4200897", "24.3072275", "0101", "KEY", "call-42")
        #expect(again.json?["id"]?.int == id && again.json?["created"] == .bool(false))

        // A reporter may not accept; the dispatcher may, once: the second expecting 1 is stale.
        guard case .error(let refused) = try reporter.command("CASE", "ACT", "\(id)", "accept") else {
            Issue.record("a reporter accepted a case"); return
        }
        #expect(refused.hasPrefix("ERR role_not_allowed"))
        #expect(try dispatcher.command("CASE", "ACT", "\(id)", "立案", "EXPECT", "1").json?["stage"] == "accepted")
        guard case .error(let stale) = try dispatcher.command("CASE", "ACT", "\(id)", "dispatch", "EXPECT", "1") else {
            Issue.record("a stale action was taken"); return
        }
        #expect(stale.hasPrefix("ERR stale_case"))
        guard case .error(let wrong) = try dispatcher.command("CASE", "ACT", "\(id)", "pass") else {
            Issue.record("passed a case never handled"); return
        }
        #expect(wrong.hasPrefix("ERR action_not_allowed") && wrong.contains("dispatch"))
        let got = try dispatcher.command("CASE", "GET", "\(id)")
        #expect(got.json?["contact"]?["phone"] == "13800000000" && got.json?["history"]?.array?.count == 2)

        let queue = try dispatcher.command("CASES", "STAGE", "accepted", "CATEGORY", "0101")
        #expect(queue.json?["cases"]?.array?.map { $0["id"]?.int } == [id])
        guard case .error(let odd) = try dispatcher.command("CASES", "STAGE") else {
            Issue.record("an odd filter list was taken"); return
        }
        #expect(odd.contains("name value pairs"))
        guard case .error(let outside) = try reporter.command("CASE", "REPORT", "109.0", "24.0", "0101") else {
            Issue.record("a report outside the district was kept"); return
        }
        #expect(outside.hasPrefix("ERR outside_district"))
        try await server.stop()
    }

    @Test func accountsSignInByNameAndActAsTheirRole() async throws {
        let store = Fixture.freshStore()
        let desk = CaseDesk(location: store)
        let dispatcherKey = try desk.with { try $0.addAccount("diaodu", role: .dispatcher, unit: nil, nowMs: 1) }
        let readerKey = try desk.with { try $0.addAccount("jumin", role: .reporter, unit: nil, nowMs: 1) }
        let server = try await TestServer.start(store: store) {
            $0.credentials.readerPassword = "r"
            $0.credentials.plannerPassword = "p1an"
        }
        let dispatcher = try Client(port: server.port), reporter = try Client(port: server.port)
        guard case .error(let wrong) = try dispatcher.command("AUTH", "diaodu", dispatcherKey + "x") else {
            Issue.record("a wrong secret signed in"); return
        }
        #expect(wrong.hasPrefix("WRONGPASS"))
        #expect(try dispatcher.command("AUTH", "diaodu", dispatcherKey) == .simple("OK"))
        #expect(try reporter.command("AUTH", "jumin", readerKey) == .simple("OK"))
        let made = try reporter.command("CASE", "REPORT", "109.4200897", "24.3072275", "0101", "PHONE", "13900000000")
        let id = try #require(made.json?["id"]?.int, "\(made)")
        guard case .error(let refused) = try reporter.command("CASE", "ACT", "\(id)", "accept") else {
            Issue.record("a reporter accepted a case"); return
        }
        #expect(refused.hasPrefix("ERR role_not_allowed"))
        #expect(try dispatcher.command("CASE", "ACT", "\(id)", "accept").json?["stage"] == "accepted")
        let got = try dispatcher.command("CASE", "GET", "\(id)")
        #expect(got.json?["contact"]?["phone"] == "13900000000")
        #expect(got.json?["history"]?.array?.compactMap { $0["account"]?.string } == ["jumin", "diaodu"])
        // A dispatcher account is not a planner: the map's planning stays closed to it.
        guard case .error(let plan) = try dispatcher.command("PLAN", "LIST") else {
            Issue.record("a dispatcher account planned"); return
        }
        #expect(plan.contains("NOPERM") || plan.contains("planner"), "\(plan)")
        // Disabled, the account's next sign-in is refused and its open connection may no longer act.
        try desk.with { try $0.setAccountDisabled("diaodu", true, nowMs: 2) }
        guard case .error(let gone) = try dispatcher.command("CASE", "ACT", "\(id)", "dispatch") else {
            Issue.record("a disabled account acted"); return
        }
        #expect(gone.hasPrefix("ERR role_not_allowed"))
        let again = try Client(port: server.port)
        guard case .error = try again.command("AUTH", "diaodu", dispatcherKey) else {
            Issue.record("a disabled account signed in"); return
        }
        try await server.stop()
    }

    @Test func subscribersHearCasesOfTheirGridUnitOrCategory() async throws {
        let server = try await TestServer.start { $0.credentials.plannerPassword = "p1an" }
        let reporter = try Client(port: server.port), dispatcher = try Client(port: server.port)
        #expect(try dispatcher.command("AUTH", "planner", "p1an") == .simple("OK"))
        let all = try Client(port: server.port), byGrid = try Client(port: server.port)
        #expect(try all.command("SUBSCRIBE", "gridmap:cases") == .array([.bulk("subscribe"), .bulk("gridmap:cases"),
                                                                          .integer(1)]))
        _ = try byGrid.command("SUBSCRIBE", "gridmap:cases:grid:450203004002006")
        // One case in the subscribed grid, one elsewhere (reported first).
        let elsewhere = try reporter.command("CASE", "REPORT", "109.4335791", "24.2611188", "0101")
        let other = try #require(elsewhere.json?["id"]?.int, "\(elsewhere)")
        #expect(elsewhere.json?["stamp"]?["grid"]?.string != "450203004002006")
        let made = try reporter.command("CASE", "REPORT", "109.4200897", "24.3072275", "0101")
        let id = try #require(made.json?["id"]?.int)
        _ = try dispatcher.command("CASE", "ACT", "\(id)", "accept")

        func message(_ c: Client) throws -> JSONValue? {
            guard case .array(let m) = try c.read(), m.count == 3, m[0] == .bulk("message") else { return nil }
            return m[2].json
        }
        // Everything, in order, on the district's channel; only its own grid's on the grid's.
        let heard = try (0..<3).map { _ in try message(all) }
        #expect(heard.map { $0?["case"]?.int } == [other, id, id])
        #expect(heard.map { $0?["event"]?.string } == ["reported", "reported", "stage"])
        #expect(heard[2]?["stage"] == "accepted" && heard[2]?["action"] == "accept" && heard[2]?["from"] == "reported")
        #expect(heard.allSatisfy { $0?["contact"] == nil })
        let inGrid = try (0..<2).map { _ in try message(byGrid) }
        #expect(inGrid.map { $0?["case"]?.int } == [id, id])
        #expect(inGrid.map { $0?["seq"]?.int } == [1, 2])

        // The measures over RESP: the engine's answer, as HTTP and the CLI give it.
        let stats = try dispatcher.command("CASE", "STATS", "BY", "district", "FROM", "2000-01-01", "TO", "2100-01-01",
                                           "ATTRIBUTION", "stamped")
        #expect(stats.json?["rows"]?.array?.first?["reported"] == 2, "\(stats)")
        #expect(stats.json?["rows"]?.array?.first?["accepted"] == 1)
        guard case .error(let odd) = try dispatcher.command("CASE", "STATS", "BY") else {
            Issue.record("an odd list was taken"); return
        }
        #expect(odd.contains("name value pairs"))
        try await server.stop()
    }
}
