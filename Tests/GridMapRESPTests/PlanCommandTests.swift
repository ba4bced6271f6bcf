import Foundation
import GridMapCore
import Testing

@testable import GridMapRESP
import GridMapStores
import GridMapPlanning

/// Planning over RESP: a planner splits a grid and moves a boundary in a draft, validates,
/// reads the impact and publishes; LOCATE then answers the new grid while ASOF still gives
/// the old one. Readers may not plan.
@Suite(.serialized) struct PlanCommandTests {
    @Test func planPublishLocateAsOf() async throws {
        let path = Fixture.freshStore()
        let server = try await TestServer.start(store: path) {
            $0.credentials.plannerPassword = "规划"
            $0.credentials.readerPassword = "read"
        }
        let reader = try Client(port: server.port, timeout: 60)
        #expect(try reader.command("AUTH", "read") == .simple("OK"))
        guard case .error(let denied) = try reader.command("PLAN", "OPEN", "x") else {
            Issue.record("a reader opened a draft")
            return
        }
        #expect(denied.hasPrefix("NOPERM"))
        let planner = try Client(port: server.port, timeout: 120)
        #expect(try planner.command("AUTH", "planner", "规划") == .simple("OK"))
        let opened = try #require(try planner.command("PLAN", "OPEN", "北安社区网格调整").json)
        let draft = try #require(opened["draft"]?.int)

        // The most crowded grid, cut across the middle of its addresses.
        let grid = Fixture.snapshot.dataset.grids.max { $0.households < $1.households }!
        let inGrid = Fixture.addresses.filter { $0.gridID == grid.id }
        let y = inGrid.map { $0.location.y }.sorted()[inGrid.count / 2]
        let box = grid.shape.bounds!
        let line = "LINESTRING(\(box.minX - 0.001) \(y), \(box.maxX + 0.001) \(y))"
        guard case .error(let bad) = try planner.command("PLAN", "SPLIT", "\(draft)", grid.id, "LINESTRING(1 1, 2 2)")
        else {
            Issue.record("a line far away split the grid")
            return
        }
        #expect(bad.hasPrefix("ERR not_crossing "))
        let split = try #require(try planner.command("PLAN", "SPLIT", "\(draft)", grid.id, line).json)
        let created = try #require(split["created"]?.array?.compactMap { $0.string })
        #expect(created.count >= 2)
        // Every new grid gets a worker (the grid had two) or one is assigned.
        let validation = try #require(try planner.command("PLAN", "VALIDATE", "\(draft)").json)
        for f in validation["findings"]?.array ?? [] where f["rule"]?.string == "no_grid_worker" {
            let spare = Fixture.snapshot.dataset.resources.first { $0.kind == "grid_worker" && $0.gridID != grid.id }!
            _ = try planner.command("PLAN", "ASSIGN", "\(draft)", spare.id, f["grids"]!.array![0].string!)
        }
        let ok = try #require(try planner.command("PLAN", "VALIDATE", "\(draft)").json)
        #expect(ok["ok"] == true, "\(ok.serialized.prefix(500))")
        let impact = try #require(try planner.command("PLAN", "IMPACT", "\(draft)").json)
        #expect(impact["codes_retired"] == [.string(grid.id)])
        #expect(impact["addresses_moved"]?.int == inGrid.count)
        guard case .bulk(let svg) = try planner.command("PLAN", "IMPACT", "\(draft)", "SVG") else {
            Issue.record("no SVG")
            return
        }
        #expect(svg?.hasPrefix("<svg") == true)

        let point = inGrid[0].location
        let before = try #require(try reader.command("LOCATE", "\(point.x)", "\(point.y)").json)
        #expect(before["grid"]?["id"]?.string == grid.id)
        let published = try #require(try planner.command("PLAN", "PUBLISH", "\(draft)", "MESSAGE", "split").json)
        let version = try #require(published["version"]?.int)
        let after = try #require(try reader.command("LOCATE", "\(point.x)", "\(point.y)").json)
        #expect(after["data_version"]?.string == "\(version)")
        #expect(created.contains(after["grid"]?["id"]?.string ?? ""))
        // Geocoding answers with the grids of the version served: the redraw at once.
        let geocoded = try #require(try reader.command("GEOCODE", inGrid[0].text).json)
        #expect(geocoded["candidates"]?.array?.first?["grid"]?["id"] == after["grid"]?["id"])
        #expect(geocoded["data_version"]?.string == "\(version)")
        let old = try #require(try reader.command("LOCATE", "\(point.x)", "\(point.y)", "ASOF", "\(version - 1)").json)
        #expect(old["grid"]?["id"]?.string == grid.id)
        guard case .error(let closed) = try planner.command("PLAN", "PUBLISH", "\(draft)") else {
            Issue.record("published twice")
            return
        }
        #expect(closed.contains("draft_closed"))
        #expect(try planner.command("PLAN", "DRAFTS").json == ["drafts": []])
        try await server.stop()
    }
}
