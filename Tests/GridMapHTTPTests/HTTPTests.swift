import Foundation
import GridMapCore
import GridMapHTTP
import GridMapServer
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let snapshot: Snapshot = try! Snapshot.load(directory: root + "/data/yufeng")

/// A live server (real socket) on the committed data, with `access`'s passwords.
func withServer(map: ServedMap? = nil, access: ServerConfig = ServerConfig(),
                _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    var config = HTTPConfig()
    config.port = 0
    config.access = access
    let app = GridMapHTTP.application(map: map ?? ServedMap(MapService(snapshot: snapshot)), config: config,
                                      resp: ServerStats(), logger: Logger(label: "test"))
    try await app.test(.live, body)
}

func json(_ r: TestResponse) throws -> JSONValue { try JSONParser.parse(String(buffer: r.body)) }

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
                #expect(try json(r)["error"]?.string?.contains(words) == true, "\(uri): \(String(buffer: r.body))")
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
            try MapStore.create(path: store, from: snapshot.dataset, author: "test", message: "test")
            loading.set(try MapService(storePath: store))
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
        var access = ServerConfig()
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
