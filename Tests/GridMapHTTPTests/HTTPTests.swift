import Foundation
import GridMapCore
import GridMapNetwork
import GridMapTestSupport
import GridMapHTTP
import GridMapRESP
import Hummingbird
import Logging
import Testing
import GridMapStores
import GridMapPlanning
import GridMapModel
import GridMapCases

@Suite struct HTTPTests {
    @Test func endpointsGiveTheEnginesAnswers() async throws {
        let a = snapshot.dataset.addresses[200]
        try await withServer { client in
            let r = try await client.execute(uri: "/api/locate?lon=\(a.location.x)&lat=\(a.location.y)", method: .get)
            #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("application/json") == true)
            let direct = snapshot.locationText(grid: snapshot.locate(a.location), point: a.location)
            #expect(String(buffer: r.body) == direct)
            let gcj = ChinaOffsets.wgs84ToGCJ02(a.location)
            let viaGCJ = try json(try await client.execute(uri: "/api/locate?lon=\(gcj.x)&lat=\(gcj.y)&crs=gcj02",
                                                          method: .get))
            #expect(viaGCJ["grid"]?["id"]?.string == a.gridID)
            let grid = try json(try await client.execute(uri: "/api/grid/\(a.gridID)", method: .get))
            #expect(grid["id"]?.string == a.gridID && grid["geometry"]?["type"]?.string != nil)
            let grids = try json(try await client.execute(uri: "/api/grids?street=\(snapshot.dataset.streets[0].id)",
                                                         method: .get))
            #expect(grids["grids"]?.array?.count == snapshot.grids(inStreet: snapshot.dataset.streets[0].id).count)
            let near = try json(try await client.execute(
                uri: "/api/nearby?lon=\(a.location.x)&lat=\(a.location.y)&kind=enforcement&limit=3", method: .get))
            #expect(near["resources"]?.array?.count == 3)
            let text = a.text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
            let found = try json(try await client.execute(uri: "/api/geocode?q=\(text)", method: .get))
            #expect(found["candidates"]?.array?.first?["grid"]?["id"]?.string == a.gridID)
            let layer = try json(try await client.execute(uri: "/api/layers/grids.geojson", method: .get))
            #expect(layer["features"]?.array?.count == 674)
            let neighbours = try json(try await client.execute(uri: "/api/neighbours/\(a.gridID)", method: .get))
            #expect((neighbours["neighbors"]?.array?.count ?? 0) >= 1)
        }
    }

    @Test func badRequestsGetA4xxAndAMessage() async throws {
        try await withServer { client in
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("/api/locate?lat=24.3", .badRequest, "missing lon"),
                ("/api/locate?lon=abc&lat=24.3", .badRequest, "not a number"),
                ("/api/locate?lon=109.4&lat=95", .badRequest, "latitude"),
                ("/api/locate?lon=109.4&lat=24.3&crs=mars2", .badRequest, "CRS"),
                ("/api/nearby?lon=109.4&lat=24.3&kind=dragons", .badRequest, "dragons"),
                ("/api/nearby?lon=109.4&lat=24.3&limit=x", .badRequest, "whole number"),
                ("/api/grid/999", .notFound, "unknown grid"),
                ("/api/grids?community=nope", .notFound, "unknown community"),
                ("/api/layers/roads", .notFound, "unknown layer"),
                ("/api/geocode", .badRequest, "q="),
            ]
            for (uri, status, words) in cases {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(r.status == status, "\(uri)")
                #expect(try json(r)["error"]?["message"]?.string?.contains(words) == true,
                        "\(uri): \(String(buffer: r.body))")
            }
            let big = try await client.execute(uri: "/api/locate?lon=109.4&lat=24.3", method: .post,
                                               body: ByteBuffer(repeating: 65, count: 100_000))
            #expect(big.status == .contentTooLarge)
        }
    }

    @Test func healthReadinessAndMetrics() async throws {
        let loading = ServedMap()
        try await withServer(map: loading) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .serviceUnavailable)
            #expect(try await client.execute(uri: "/api/locate?lon=109.4&lat=24.3", method: .get).status
                    == .serviceUnavailable)
            let store = NSTemporaryDirectory() + "/gridmap-http-\(UUID().uuidString).gridmap"
            defer { try? FileManager.default.removeItem(atPath: store) }
            try Stores.create(store, from: snapshot.dataset, author: "test", message: "test")
            loading.set(try MapService(storeLocation: store))
            let ready = try await client.execute(uri: "/readyz", method: .get)
            let readyBody = try json(ready)
            #expect(ready.status == .ok && readyBody["data_version"]?.string == "1")
            _ = try await client.execute(uri: "/api/locate?lon=109.43&lat=24.30", method: .get)
            _ = try await client.execute(uri: "/api/locate?lon=x&lat=24.30", method: .get)
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains(#"gridmap_requests_total{protocol="http",command="locate"}"#))
            #expect(text.contains(#"gridmap_request_errors_total{protocol="http",command="locate"}"#))
            #expect(text.contains("gridmap_request_duration_seconds_bucket"))
            #expect(text.contains("gridmap_data_version 1.0") && text.contains("gridmap_resident_memory_bytes"),
                    "\(text)")
        }
    }

    @Test func passwordsAreRESPs() async throws {
        var access = Credentials()
        access.readerPassword = "r3ad"
        try await withServer(access: access) { client in
            let uri = "/api/locate?lon=109.43&lat=24.30"
            let anonymous = try await client.execute(uri: uri, method: .get)
            #expect(anonymous.status == .unauthorized && anonymous.headers[.wwwAuthenticate] != nil)
            let wrong = "Basic " + Data("reader:nope".utf8).base64EncodedString()
            #expect(try await client.execute(uri: uri, method: .get, headers: [.authorization: wrong]).status
                    == .unauthorized)
            let right = "Basic " + Data("reader:r3ad".utf8).base64EncodedString()
            #expect(try await client.execute(uri: uri, method: .get, headers: [.authorization: right]).status == .ok)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
        }
    }
}

@Suite struct HTTPAreaAndPlanTests {
    @Test func areasAsCirclesBoxesAndGeometries() async throws {
        try await withServer { client in
            let circle = try json(try await client.execute(uri: "/api/area?circle=109.43,24.30,500", method: .get))
            let area = try #require(circle["area_m2"]?.number)
            #expect(abs(area - Double.pi * 500 * 500) / area < 0.01)
            let grids = try #require(circle["grids"]?.array)
            #expect(!grids.isEmpty && grids.allSatisfy { ($0["overlap_m2"]?.number ?? 0) > 0 })
            let wkt = "POLYGON((109.42 24.29, 109.44 24.29, 109.44 24.31, 109.42 24.31, 109.42 24.29))"
            let posted = try await client.execute(uri: "/api/area", method: .post, body: ByteBuffer(string: wkt))
            let postedBody = try json(posted)
            #expect(posted.status == .ok && postedBody["grids"]?.array?.isEmpty == false)
            for (uri, words) in [("/api/area?box=109.44,24.29,109.42,24.31", "minlon < maxlon"),
                                 ("/api/area?circle=109.43,24.30", "3 numbers"),
                                 ("/api/area?circle=109.43,24.30,90000", "radius"), ("/api/area", "give circle")] {
                let r = try await client.execute(uri: uri, method: .get)
                let body = try json(r)
                #expect(r.status == .badRequest && body["error"]?["message"]?.string?.contains(words) == true, "\(uri)")
            }
            let bad = try await client.execute(uri: "/api/area", method: .post,
                                               body: ByteBuffer(string: "POLYGON((1 2"))
            #expect(bad.status == .badRequest && String(buffer: bad.body).contains("invalid geometry"))
        }
    }

    /// The planner's words for every planning refusal and validation rule come from one place
    /// the server serves; the page keeps no copy of its own.
    @Test func plannersWordsAreServedFromOnePlace() async throws {
        try await withServer { client in
            let texts = try json(try await client.execute(uri: "/api/plan/texts", method: .get))
            let refusals = try #require(texts["refusals"]?.object)
            for code in PlanError.Code.allCases {
                #expect(refusals[code.rawValue]?.string == code.text && !code.text.isEmpty, "\(code)")
            }
            #expect(texts["rules"]?["overlap"]?.string == "网格重叠")
        }
        let page = try String(contentsOfFile: GridMapTestSupport.root + "/Sources/GridMapHTTP/Page/plan.js",
                              encoding: .utf8)
        for code in PlanError.Code.allCases { #expect(!page.contains(code.text), "plan.js copies \(code)'s words") }
        #expect(!page.contains("网格重叠"), "plan.js copies the rules' names")
    }

    /// Every refusal's words, the case log's with planning's and the requests', come from the
    /// same place for the dispatcher's page (`/api/texts`, a reader may read it); cases.js keeps
    /// no copy of its own.
    @Test func refusalWordsAreServedFromOnePlace() async throws {
        try await withServer { client in
            let texts = try json(try await client.execute(uri: "/api/texts", method: .get))
            let refusals = try #require(texts["refusals"]?.object)
            for code in CaseError.Code.allCases {
                #expect(refusals[code.rawValue]?.string == code.text && !code.text.isEmpty, "\(code)")
            }
            for code in PlanError.Code.allCases { #expect(refusals[code.rawValue]?.string == code.text, "\(code)") }
            #expect(refusals["unknown_category"]?.string?.isEmpty == false)
            let plan = try json(try await client.execute(uri: "/api/plan/texts", method: .get))
            #expect(plan == texts, "the planner's page and the dispatcher's read the same words")
        }
        let page = try String(contentsOfFile: GridMapTestSupport.root + "/Sources/GridMapHTTP/Page/cases.js",
                              encoding: .utf8)
        for code in CaseError.Code.allCases { #expect(!page.contains(code.text), "cases.js copies \(code)'s words") }
    }

    /// A draft with a split and a households warning, read as the planner's page reads it.
    @Test func draftsImpactAndValidationForPlannersOnly() async throws {
        let path = NSTemporaryDirectory() + "/gridmap-plan-\(UUID().uuidString).gridmap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try Stores.create(path, from: snapshot.dataset, author: "t", message: "t")
        let planner = Planner(store: store)
        let draft = try planner.open(name: "调整", author: "张规划").id
        try planner.apply(.split(grid: "450203004002006", line: GeometryInput.parse(
            "LINESTRING(109.4195 24.30665, 109.4222 24.30655)")), to: draft)
        try planner.apply(.setAttribute(grid: "450203004002001", field: "households", value: "5"), to: draft)
        var access = Credentials()
        access.plannerPassword = "p1an"
        try await withServer(map: ServedMap(try MapService(storeLocation: path)), access: access) { client in
            let planner: HTTPFields = [.authorization: "Basic " + Data("planner:p1an".utf8).base64EncodedString()]
            let asReader = try await client.execute(uri: "/api/plan/drafts", method: .get)
            #expect(asReader.status == .forbidden)
            let drafts = try json(try await client.execute(uri: "/api/plan/drafts", method: .get,
                                                           headers: planner))
            #expect(drafts["drafts"]?.array?.first?["draft"]?.number == Double(draft))
            let impact = try json(try await client.execute(uri: "/api/plan/drafts/\(draft)/impact?changes=1",
                                                           method: .get,
                                                           headers: planner))
            let states = impact["changes"]?["features"]?.array?.compactMap { $0["properties"]?["state"]?.string }
            let before = states?.filter { $0 == "before" }.count ?? 0
            let after = states?.filter { $0 == "after" }.count ?? 0
            #expect(before >= 1 && after >= 2)
            let check = try json(try await client.execute(uri: "/api/plan/drafts/\(draft)/validate", method: .get,
                                                          headers: planner))
            let finding = check["findings"]?.array?.first { $0["rule"]?.string == "households_range" }
            #expect(finding?["location"]?.array?.count == 2)
            let missing = try await client.execute(uri: "/api/plan/drafts/99/impact", method: .get,
                                                   headers: planner)
            #expect(missing.status == .notFound)
        }
    }
}
