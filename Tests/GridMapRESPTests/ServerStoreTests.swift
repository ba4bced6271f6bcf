import Foundation
import GridMapCore
import Testing
@testable import GridMapRESP
import GridMapStores
import GridMapPlanning

/// The server on a map store: versions published by another process, rollbacks over RESP,
/// as-of lookups, change notifications.
@Suite(.serialized) struct ServerStoreTests {
    /// A point inside a grid, and that grid's id (a library address of it).
    static func pointInGrid() -> (Coordinate, String) {
        let a = Fixture.addresses[100]
        return (a.location, a.gridID)
    }

    /// Publishes a new name for `grid` straight into the store file, as another process would.
    static func rename(_ grid: String, to name: String, in path: String) throws -> VersionInfo {
        let store = try Stores.open(path)
        let head = try store.head()
        let g = try #require(try store.dataset(version: head).grids.first { $0.id == grid })
        var props = g.properties
        props["name"] = .string(name)
        var changes = ChangeSet()
        changes.features[.grids] = [grid: FeatureRow(Feature(id: grid, properties: props, geometry: g.shape))]
        return try store.publish(changes, parent: head, author: "someone else", message: "rename \(grid)")
    }

    @Test func versionPublishedElsewhereIsServedAndAnnounced() async throws {
        let path = Fixture.freshStore()
        let server = try await TestServer.start(store: path)
        let (point, grid) = Self.pointInGrid()
        let reader = try Client(port: server.port)
        let subscriber = try Client(port: server.port)
        #expect(
            try subscriber.command("SUBSCRIBE", "gridmap:versions")
                == .array([.bulk("subscribe"), .bulk("gridmap:versions"), .integer(1)]))
        guard case .error(let e) = try subscriber.command("LOCATE", "1", "2") else {
            Issue.record("LOCATE while subscribed"); return
        }
        #expect(e.contains("only (P)SUBSCRIBE"))
        #expect(try subscriber.command("PING") == .array([.bulk("pong"), .bulk("")]))

        let start = Date()
        let info = try Self.rename(grid, to: "改名网格", in: path)
        var served = ""
        while -start.timeIntervalSinceNow < 120 {
            let reply = try reader.command("LOCATE", "\(point.x)", "\(point.y)")
            served = reply.json?["data_version"]?.string ?? ""
            if served == "\(info.id)" {
                #expect(reply.json?["grid"]?["name"]?.string == "改名网格")
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Within a second on a release build (tools/clients/test_store_servers.py, two processes);
        // this debug build only has to get there.
        #expect(served == "\(info.id)")
        guard case .array(let message) = try subscriber.read(), message.count == 3 else {
            Issue.record("no message"); return
        }
        #expect(message[0] == .bulk("message"))
        let event = try #require(message[2].json)
        #expect(event["version"]?.int == info.id)
        #expect(event["parent"]?.int == info.id - 1)
        #expect(event["changed_grids"] == .array([.string(grid)]))
        try await server.stop()
    }

    @Test func rollbackDiffAndAsOfOverRESP() async throws {
        let path = Fixture.freshStore()
        let server = try await TestServer.start(store: path)
        let (point, grid) = Self.pointInGrid()
        let oldName = try #require(Fixture.snapshot.dataset.grids.first { $0.id == grid }?.name)
        let planner = try Client(port: server.port), other = try Client(port: server.port)
        let renamed = try Self.rename(grid, to: "新名字", in: path)
        #expect(try planner.command("RELOAD") == .simple("OK \(renamed.id)"))
        #expect(try other.command("LOCATE", "\(point.x)", "\(point.y)").json?["grid"]?["name"]?.string == "新名字")

        // As of version 1: the old name, from a version built on first use and then cached.
        let asof = try other.command("LOCATE", "\(point.x)", "\(point.y)", "ASOF", "1")
        #expect(asof.json?["grid"]?["name"]?.string == oldName)
        #expect(asof.json?["data_version"]?.string == "1")
        guard case .bulk(let info?) = try other.command("INFO") else { Issue.record("INFO"); return }
        #expect(info.contains("asof_cache_versions:1"))
        let today = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
        #expect(
            try other.command("LOCATE", "\(point.x)", "\(point.y)", "ASOF", today).json?["data_version"]?.string
                == "\(renamed.id)")
        #expect(try other.command("LOCATE", "1", "2", "ASOF", "2001-01-01").isError)
        #expect(try other.command("LOCATE", "1", "2", "ASOF", "99").isError)

        let diff = try #require(try other.command("DIFF", "1", "\(renamed.id)").json)
        let changed = try #require(diff["layers"]?["grids"]?["changed"]?.array)
        #expect(changed.count == 1)
        #expect(changed[0]["attributes"]?["name"] == .array([.string(oldName), .string("新名字")]))

        // ROLLBACK publishes version 1's content as a new version; a second connection sees it.
        let rolled = try #require(try planner.command("ROLLBACK", "1", "MESSAGE", "undo the rename").json)
        let newVersion = try #require(rolled["version"]?.int)
        #expect(newVersion == renamed.id + 1)
        #expect(rolled["message"]?.string == "undo the rename")
        let after = try other.command("LOCATE", "\(point.x)", "\(point.y)").json
        #expect(after?["data_version"]?.string == "\(newVersion)")
        #expect(after?["grid"]?["name"]?.string == oldName)
        let versions = try #require(try other.command("VERSIONS").json?["versions"]?.array)
        #expect(versions.map { $0["version"]?.int } == [newVersion, renamed.id, 1])
        guard case .error(let e) = try planner.command("ROLLBACK", "77") else {
            Issue.record("rollback to nothing"); return
        }
        #expect(e.contains("no version 77"))
        try await server.stop()
    }

    /// A reader may not publish; a stale publish is refused naming both versions.
    @Test func rolesAndStalePublishes() async throws {
        let path = Fixture.freshStore()
        let server = try await TestServer.start(store: path) { $0.credentials.readerPassword = "r"; $0.credentials.plannerPassword = "p" }
        let c = try Client(port: server.port)
        #expect(try c.command("AUTH", "r") == .simple("OK"))
        guard case .error(let noperm) = try c.command("ROLLBACK", "1") else {
            Issue.record("reader rolled back"); return
        }
        #expect(noperm.hasPrefix("NOPERM"))
        let store = try Stores.open(path)
        _ = try Self.rename(Self.pointInGrid().1, to: "甲", in: path)
        #expect(throws: StaleVersionError.self) {
            try store.publish(ChangeSet(), parent: 1, author: "late", message: "stale")
        }
        do { try store.publish(ChangeSet(), parent: 1, author: "late", message: "stale") } catch {
            #expect("\(error)".contains("expects to replace version 1, but the current version is 2"))
        }
        try await server.stop()
    }
}
