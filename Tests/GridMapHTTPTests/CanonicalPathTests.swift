import Foundation
import GridMapCore
import GridMapTestSupport
import GridMapRESP
import Hummingbird
import Testing
@testable import GridMapHTTP
import GridMapStores
import GridMapPlanning

@Suite struct CanonicalPathTests {
    @Test func spellingsOfOnePathAreOne() {
        let same = ["/api/plan/drafts", "//api/plan/drafts", "/./api/plan/drafts", "/api/plan/drafts/",
                    "/api%2Fplan%2Fdrafts", "/api%2fplan/drafts", "/%61pi/plan/drafts", "/x/../api/plan/drafts",
                    "/api/plan/./drafts//", "///api///plan///drafts///"]
        for path in same { #expect(CanonicalPath.of(path[...]) == "/api/plan/drafts", "\(path)") }
        #expect(CanonicalPath.of("/"[...]) == "/")
        #expect(CanonicalPath.of("//"[...]) == "/")
        #expect(CanonicalPath.of("/api/grid/%E7%BD%91"[...]) == "/api/grid/%E7%BD%91")
        #expect(CanonicalPath.of("/a%3Fb"[...]) == "/a%3Fb", "an escaped ? stays escaped, not a query")
        #expect(CanonicalPath.of("/a b"[...]) == "/a%20b")
    }

    @Test func pathsThatNameNothingAreRefused() {
        for path in ["/leaflet/leaflet.js%00.png", "/..", "/../api", "/api/%zz", "/api/%2", "/a%0Ab", "api",
                     "/%FF%FE"] {
            #expect(CanonicalPath.of(path[...]) == nil, "\(path)")
        }
    }

    @Test func rolesAreDecidedOnTheRoutedPath() {
        #expect(AccessMiddleware.needed("/api/plan/drafts/{id}/impact") == .planner)
        #expect(AccessMiddleware.needed("/api/plan") == .planner)
        #expect(AccessMiddleware.needed("/api/planet") == .reader)
        #expect(AccessMiddleware.needed("/api/locate") == .reader)
        #expect(AccessMiddleware.needed("/apix") == .none)
        #expect(AccessMiddleware.needed("/healthz") == .none)
    }

    /// A store that fails under a running server: the request fails as the server's fault
    /// (500, logged), never the client's (400), /readyz says why, and lookups go on.
    @Test func aBrokenStoreIsTheServersFault() async throws {
        let path = NSTemporaryDirectory() + "/gridmap-broken-\(UUID().uuidString).gridmap"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        _ = try Stores.create(path, from: snapshot.dataset, author: "t", message: "t")
        let service = try MapService(storeLocation: path)
        try await withServer(map: ServedMap(service)) { client in
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            // Overwritten in place with garbage, its pages not in SQLite's cache.
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.write(Data(repeating: 0x47, count: 1 << 20))
            try handle.close()
            service.checkStore()
            let versions = try await client.execute(uri: "/api/versions", method: .get)
            #expect(versions.status == .ok || versions.status == .internalServerError,
                    "\(versions.status): \(String(buffer: versions.body))")
            #expect(versions.status != .badRequest)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable && String(buffer: ready.body).contains("no longer"))
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let a = snapshot.dataset.addresses[5]
            let located = try await client.execute(uri: "/api/locate?lon=\(a.location.x)&lat=\(a.location.y)",
                                                   method: .get)
            #expect(located.status == .ok)
        }
    }
}
