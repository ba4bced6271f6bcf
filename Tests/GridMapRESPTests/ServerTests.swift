import Foundation
import GridMapCore
import Testing
@testable import GridMapRESP
import GridMapStores
import GridMapPlanning
// Breaking a store on purpose: SQL written past gridmap, as a foreign tool would.
import GridMapSQLite

@Suite(.serialized) struct ServerTests {
    @Test func commandsAnswerOverASocket() async throws {
        let server = try await TestServer.start()
        let c = try Client(port: server.port)
        let snapshot = Fixture.snapshot
        #expect(try c.command("PING") == .simple("PONG"))
        #expect(try c.command("ping", "hi") == .bulk("hi"))

        // An address whose 600 m square below lies inside the district (corners and sides).
        let address = Fixture.addresses[500...].first { a in
            [(-1, -1), (1, -1), (1, 1), (-1, 1), (0, -1), (1, 0), (0, 1), (-1, 0)].allSatisfy { dx, dy in
                snapshot.locate(Coordinate(a.location.x + Double(dx) * 0.0031, a.location.y + Double(dy) * 0.0031))
                    != nil
            }
        }!
        let located = try c.command("LOCATE", "\(address.location.x)", "\(address.location.y)")
        #expect(located.json?["grid"]?["id"]?.string == address.gridID)
        #expect(located.json == snapshot.locationJSON(grid: snapshot.locate(address.location), point: address.location))
        let gcj = ChinaOffsets.wgs84ToGCJ02(address.location)
        #expect(try c.command("locate", "\(gcj.x)", "\(gcj.y)", "crs", "GCJ02").json?["grid"] == located.json?["grid"])

        let nearby = try c.command("NEARBY", "109.43", "24.30", "KIND", "grid_worker", "LIMIT", "3").json
        #expect(nearby?["resources"]?.array?.count == 3)
        #expect(nearby?["data_version"]?.string == snapshot.version)
        let radius = try c.command("NEARBY", "109.43", "24.30", "RADIUS", "300").json?["resources"]?.array ?? []
        #expect(!radius.isEmpty && radius.allSatisfy { ($0["distance_m"]?.number ?? 1e9) <= 300 })

        let grid = try c.command("GRID", address.gridID).json
        #expect(grid?["geometry"]?["type"]?.string == "Polygon" && grid?["id"]?.string == address.gridID)
        let community = snapshot.dataset.grids[snapshot.grid(id: address.gridID)!].communityID
        let grids = try c.command("GRIDS", "COMMUNITY", community).json?["grids"]?.array ?? []
        #expect(grids.contains { $0["id"]?.string == address.gridID })
        // Exactly the community's grids, in id order.
        #expect(grids.compactMap { $0["id"]?.string }
                == snapshot.dataset.grids.filter { $0.communityID == community }.map(\.id))
        #expect(try c.command("GRIDS", "STREET", "450203103").json?["grids"]?.array?.isEmpty == false)
        #expect(try c.command("GRIDS").json?["grids"]?.array?.count == 674)
        let neighbors = try c.command("NEIGHBORS", address.gridID).json?["neighbors"]?.array ?? []
        #expect(!neighbors.isEmpty && neighbors.allSatisfy { $0["workers"]?.array?.isEmpty == false })

        let p = address.location
        let (x0, y0, x1, y1) = (p.x - 0.003, p.y - 0.003, p.x + 0.003, p.y + 0.003)
        let wkt = "POLYGON((\(x0) \(y0), \(x1) \(y0), \(x1) \(y1), \(x0) \(y1), \(x0) \(y0)))"
        let viaWKT = try c.command("INTERSECTS", wkt).json
        #expect((viaWKT?["grids"]?.array?.count ?? 0) >= 1)
        let overlapSum = viaWKT?["grids"]?.array?.compactMap { $0["overlap_m2"]?.number }.reduce(0, +) ?? 0
        #expect(abs(overlapSum - (viaWKT?["area_m2"]?.number ?? 0)) < 10)
        let geojson = GeoJSON.json(try GEOSContext().geometry(wkt: wkt).shape()).serialized
        #expect(try c.command("INTERSECTS", geojson).json?["grids"] == viaWKT?["grids"])
        #expect(
            (try c.command("INTERSECTS", "CIRCLE", "\(p.x)", "\(p.y)", "250").json?["grids"]?.array?.count ?? 0) >= 1)
        #expect(
            (try c.command("INTERSECTS", "BOX", "109.42", "24.29", "109.43", "24.30").json?["grids"]?.array?.count ?? 0)
                >= 1)

        guard case .bulk(let info?) = try c.command("INFO") else { Issue.record("INFO"); return }
        #expect(info.contains("data_version:\(snapshot.version)") && info.contains("grids:674"))
        #expect(info.contains("cmdstat_locate:calls=2"))
        guard case .array(let commands) = try c.command("COMMAND") else { Issue.record("COMMAND"); return }
        #expect(commands.count == CommandTable.all.count)
        #expect(try c.command("COMMAND", "COUNT") == .integer(CommandTable.all.count))
        #expect(try c.command("COMMAND", "DOCS") == .array([]))
        #expect(try c.command("CLIENT", "SETNAME", "dispatch") == .simple("OK"))
        #expect(try c.command("SELECT", "0") == .simple("OK"))
        guard case .map(let hello) = try c.command("HELLO", "3") else {
            Issue.record("HELLO 3 must answer a RESP3 map"); return
        }
        #expect(hello.contains(.bulk("gridmap")))
        // RESP3 now: null is `_`.
        #expect(try c.command("CLIENT", "GETNAME") == .bulk("dispatch"))
        #expect(try c.command("QUIT") == .simple("OK"))
        #expect(try c.read() == .closed)
        try await server.stop()
    }

    @Test func pipelinedAndInlineRequestsAreAnsweredInOrder() async throws {
        let server = try await TestServer.start()
        let c = try Client(port: server.port)
        var batch: [UInt8] = []
        let points = Fixture.addresses.prefix(200).map(\.location)
        for p in points { batch += Client.encode(["LOCATE", "\(p.x)", "\(p.y)"]) }
        batch += Array("PING\r\nLOCATE \(points[0].x) \(points[0].y)\r\n  \r\nping \"a b\"\n".utf8)
        c.send(batch)
        for (k, p) in points.enumerated() {
            let r = try c.read()
            #expect(r.json?["point"]?["lon"]?.number == p.x, "reply \(k)")
        }
        #expect(try c.read() == .simple("PONG"))
        #expect(try c.read().json?["point"]?["lon"]?.number == points[0].x)
        #expect(try c.read() == .bulk("a b"))
        try await server.stop()
    }

    @Test func badRequestsGetSpecificErrorsAndTheConnectionStays() async throws {
        let server = try await TestServer.start()
        let c = try Client(port: server.port)
        func error(_ args: String...) throws -> String {
            guard case .error(let e) = try c.command(args) else { return "(no error)" }
            return e
        }
        #expect(try error("LOCATE", "109.4").contains("wrong number of arguments for 'locate'"))
        #expect(try error("LOCATE", "abc", "24.3").contains("longitude 'abc' is not a number"))
        #expect(try error("LOCATE", "109.4", "91").contains("latitude 91.0 is outside"))
        #expect(try error("LOCATE", "109.4", "24.3", "CRS", "utm").contains("unknown CRS 'utm'"))
        #expect(try error("LOCATE", "109.4", "24.3", "FOO", "1").contains("unknown option 'FOO'"))
        #expect(try error("NEARBY", "109.4", "24.3", "KIND", "dragon").contains("unknown kind 'dragon'"))
        #expect(try error("NEARBY", "109.4", "24.3", "LIMIT", "0").contains("limit must be 1 to 1000"))
        #expect(try error("NEARBY", "109.4", "24.3", "RADIUS", "200000").contains("radius must be 0 to 100000 metres"))
        #expect(try error("GEOCODE", "屏园路1号", "LIMIT", "101").contains("limit must be 1 to 100"))
        let long = String(repeating: "路", count: 400)  // 1,200 bytes
        #expect(try error("LOCATEADDR", long).contains("address longer than 1024 bytes"))
        #expect(try error("GRID", "nope").contains("unknown grid 'nope'"))
        #expect(try error("NEIGHBORS", "nope").contains("unknown grid"))
        #expect(try error("GRIDS", "STREET", "1").contains("unknown street"))
        #expect(try error("INTERSECTS", "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))").contains("Self-intersection"))
        #expect(try error("INTERSECTS", "POLYGON((0 0, 1 1").contains("invalid geometry"))
        #expect(try error("INTERSECTS", "POLYGON((1e300 0, 1e300 1, 1e301 1, 1e300 0))").contains("longitude/latitude"))
        #expect(try error("INTERSECTS", "BOX", "109", "24", "1e300", "25").hasPrefix("ERR"))
        #expect(try error("INTERSECTS", "{\"type\":\"Point\",\"coordinates\":[1,2]}").contains("Polygon"))
        #expect(try error("INTERSECTS", "{\"type\":").contains("invalid geometry"))
        #expect(try error("NOSUCH", "a", "b").contains("unknown command 'nosuch', with args beginning with: 'a' 'b'"))
        // With no passwords every client is a planner: RELOAD checks the store now.
        #expect(try c.command("RELOAD") == .simple("OK \(Fixture.snapshot.version)"))
        c.send(Client.encode(["LOCATE", "\u{FF}", "1"]).map { $0 == 0xC3 ? 0xFF : $0 })
        #expect(try c.read().isError)
        #expect(try c.command("PING") == .simple("PONG"))
        try await server.stop()
    }

    /// A version that cannot be built (written into the store by some other tool, bypassing
    /// gridmap's checks: a grid whose properties are not JSON) is not served: RELOAD says why
    /// and the old version keeps serving.
    @Test func failedReloadKeepsServing() async throws {
        let store = Fixture.freshStore()
        let server = try await TestServer.start(store: store)
        let c = try Client(port: server.port)
        let db = try SQLiteDatabase(path: store)
        // One transaction: the watcher polls meanwhile, and must not see version 2 without its row.
        try db.execute("""
            BEGIN;
            INSERT INTO version VALUES (2, 1, 0, 'a foreign tool', 'broken', '[]', '{}');
            INSERT INTO feature VALUES ('grids', '450203001001001', 2, '{not json', NULL);
            COMMIT;
            """)
        guard case .error(let e) = try c.command("RELOAD") else {
            Issue.record("RELOAD of a broken version succeeded"); return
        }
        #expect(e.contains("450203001001001"))
        #expect(e.contains("reload failed, still serving \(Fixture.snapshot.version)"))
        guard case .bulk(let located?) = try c.command("LOCATE", "109.43", "24.3") else {
            Issue.record("no LOCATE reply"); return
        }
        #expect(located.contains("\"data_version\":\"\(Fixture.snapshot.version)\""))
        try await server.stop()
    }

    @Test func brokenFramesCloseOnlyThatConnection() async throws {
        let server = try await TestServer.start { $0.limits.maxRequestBytes = 64 << 10; $0.limits.maxArrayLength = 16 }
        let healthy = try Client(port: server.port)
        for garbage in [
            "*2\r\n$4\r\nPING\r\n:x\r\n", "*1\r\n$abc\r\n", "*99\r\n", "*1\r\n$4\r\nPINGxx", "*1\r\n:abc\r\n",
            "*1\r\n*1\r\n*1\r\n$1\r\nx\r\n",
        ] {
            let bad = try Client(port: server.port)
            bad.send(garbage)
            guard case .error(let e) = try bad.read() else {
                Issue.record("no error for \(garbage.debugDescription)"); continue
            }
            #expect(e.contains("Protocol error"), "\(garbage.debugDescription): \(e)")
            #expect(try bad.read() == .closed)
            #expect(try healthy.command("PING") == .simple("PONG"))
        }
        let big = try Client(port: server.port)
        big.send("*2\r\n$4\r\nPING\r\n$100000\r\n" + String(repeating: "x", count: 70_000))
        guard case .error(let e) = try big.read() else { Issue.record("no error for a huge request"); return }
        #expect(e.contains("exceeds the limit") || e.contains("too large") || e.contains("larger than"))
        #expect(try big.read() == .closed)
        let longLine = try Client(port: server.port)
        longLine.send(String(repeating: "A", count: 70_000))
        #expect(try longLine.read().isError)
        #expect(try healthy.command("PING") == .simple("PONG"))
        try await server.stop()
    }

    @Test func credentialsAndRoles() async throws {
        let server = try await TestServer.start { $0.credentials.readerPassword = "r3ader"; $0.credentials.plannerPassword = "pl4nner" }
        let c = try Client(port: server.port)
        #expect(try c.command("PING") == .simple("PONG"))
        guard case .error(let noauth) = try c.command("LOCATE", "109.43", "24.3") else {
            Issue.record("LOCATE without AUTH"); return
        }
        #expect(noauth.hasPrefix("NOAUTH"))
        guard case .error(let wrong) = try c.command("AUTH", "guess") else {
            Issue.record("wrong password accepted"); return
        }
        #expect(wrong.hasPrefix("WRONGPASS"))
        #expect(try c.command("AUTH", "r3ader") == .simple("OK"))
        #expect(try c.command("LOCATE", "109.43", "24.3").json?["grid"] != nil)
        guard case .error(let noperm) = try c.command("RELOAD") else { Issue.record("reader ran RELOAD"); return }
        #expect(noperm.hasPrefix("NOPERM"))
        #expect(try c.command("AUTH", "planner", "pl4nner") == .simple("OK"))
        #expect(try c.command("RELOAD") == .simple("OK \(Fixture.snapshot.version)"))
        let viaHello = try Client(port: server.port)
        guard case .map = try viaHello.command("HELLO", "3", "AUTH", "default", "r3ader") else {
            Issue.record("HELLO AUTH"); return
        }
        #expect(try viaHello.command("GRID", "450203001001001").json?["id"] == "450203001001001")
        try await server.stop()
    }

    @Test func connectionLimitAndIdleTimeout() async throws {
        let server = try await TestServer.start { $0.maxConnections = 2; $0.idleTimeout = 5 }
        let a = try Client(port: server.port), b = try Client(port: server.port)
        #expect(try a.command("PING") == .simple("PONG"))
        #expect(try b.command("PING") == .simple("PONG"))
        let third = try Client(port: server.port)
        guard case .error(let e) = try third.read() else { Issue.record("third client admitted"); return }
        #expect(e.contains("max number of clients"))
        // Silent for more than the idle timeout: closed by the server.
        #expect(try a.read() == .closed)
        try await server.stop()
    }

    @Test func gracefulShutdownAnswersWhatItRead() async throws {
        let server = try await TestServer.start()
        let c = try Client(port: server.port)
        var batch: [UInt8] = []
        for _ in 0..<500 { batch += Client.encode(["LOCATE", "109.43", "24.3"]) }
        c.send(batch)
        #expect(try c.read().json?["grid"] != nil)  // the server has read the batch
        try await server.stop()
        var answered = 1
        while case .bulk = try c.read() { answered += 1 }
        #expect(answered == 500)
        #expect(throws: (any Error).self) { try Client(port: server.port) }
    }

    @Test func aStalledReaderDoesNotDelayOthers() async throws {
        let server = try await TestServer.start()
        let stalled = try Client(port: server.port)
        var batch: [UInt8] = []
        for _ in 0..<3_000 { batch += Client.encode(["GRIDS"]) }  // ~100 KB of replies each, never read
        let sent = stalled.sendWithoutBlocking(batch)
        #expect(sent > 10_000)  // far more replies than the 256 KiB write buffer holds
        let other = try Client(port: server.port)
        for _ in 0..<50 { #expect(try other.command("LOCATE", "109.43", "24.3").json?["grid"] != nil) }
        try await server.stop()
    }

    @Test func garbageFromOneClientDoesNotStopAnother() async throws {
        let server = try await TestServer.start()
        let healthy = try Client(port: server.port)
        var random = SystemRandomNumberGenerator()
        for round in 0..<200 {
            let bad = try Client(port: server.port)
            bad.send(
                (0..<Int.random(in: 1...2000, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
            if round % 10 == 0 { #expect(try healthy.command("PING") == .simple("PONG")) }
        }
        #expect(try healthy.command("LOCATE", "109.43", "24.3").json?["grid"] != nil)
        try await server.stop()
    }
}

@Suite(.serialized) struct GeocodeServerTests {
    @Test func geocodeAndLocateAddressOverRESP() async throws {
        let server = try await TestServer.start()
        let c = try Client(port: server.port)
        let a = Fixture.addresses.first { !$0.compound.isEmpty && $0.unit == "2" }!
        let typed = "广西柳州市 " + a.road + a.number + "号" + a.compound + a.building + "幢" + a.unit + "单元门口"
        let geocoded = try c.command("GEOCODE", typed, "LIMIT", "3").json
        #expect(geocoded?["match"] == "address" && geocoded?["note"] == "门口")
        let top = geocoded?["candidates"]?.array?.first
        #expect(top?["address_id"]?.string == a.id && (top?["score"]?.number ?? 0) >= 0.9)
        #expect(top?["grid"]?["id"]?.string == a.gridID)
        let located = try c.command("LOCATEADDR", typed).json
        #expect(located?["grid"]?["id"]?.string == a.gridID && located?["address"]?["address_id"]?.string == a.id)
        #expect(located?["workers"]?.array?.isEmpty == false)
        #expect(located?["data_version"]?.string == server.server.service.snapshots.current.version)
        let road = try c.command("LOCATEADDR", a.road).json
        #expect(road?["ambiguous"] == .bool(true) && road?["match"] == "road")
        let none = try c.command("GEOCODE", "火星路1号").json
        #expect(none?["match"] == "none" && none?["candidates"] == .array([]))
        // Invalid UTF-8 is refused with a reason; the connection stays.
        c.send([UInt8]("*2\r\n$7\r\nGEOCODE\r\n$2\r\n".utf8) + [0xE4, 0xB8] + [13, 10])
        guard case .error(let e) = try c.read() else { Issue.record("invalid UTF-8 accepted"); return }
        #expect(e.contains("not valid UTF-8"))
        #expect(try c.command("PING") == .simple("PONG"))
        try await server.stop()
    }

    @Test func reverseGeocodeAndLocateWithAddress() async throws {
        let server = try await TestServer.start()
        let c = try Client(port: server.port, timeout: 60)
        let a = Fixture.addresses[500]
        // 10 m east of an address, in GCJ-02 as a phone reports it.
        let p = Coordinate(a.location.x + 10 / Metric.metresPerDegree(atLatitude: a.location.y).lon, a.location.y)
        let gcj = ChinaOffsets.wgs84ToGCJ02(p)
        let reply = try #require(try c.command("REVGEOCODE", "\(gcj.x)", "\(gcj.y)", "CRS", "gcj02", "LIMIT", "3").json)
        let first = try #require(reply["addresses"]?.array?.first)
        #expect(reply["radius_m"]?.number == 50)
        let d = try #require(first["distance_m"]?.number)
        #expect(d <= 10.5)
        let distances = reply["addresses"]!.array!.compactMap { $0["distance_m"]?.number }
        #expect(distances == distances.sorted() && distances.allSatisfy { $0 <= 50 })
        let located = try #require(try c.command("LOCATE", "\(p.x)", "\(p.y)", "ADDRESS", "50").json)
        #expect(located["address"]?["address_id"] == first["address_id"])
        #expect(located["grid"]?["id"] != nil && located["data_version"] != nil)
        let far = try #require(try c.command("LOCATE", "109.0", "24.0", "ADDRESS", "50").json)
        #expect(far["address"] == .null)
        guard case .error(let e) = try c.command("REVGEOCODE", "\(p.x)", "\(p.y)", "RADIUS", "5000") else {
            Issue.record("a 5 km radius accepted"); return
        }
        #expect(e.contains("radius"))
        try await server.stop()
    }
}
