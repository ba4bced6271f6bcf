import Foundation
import GridMapCore
import Testing
@testable import GridMapServer

/// Abusive requests from the review of the server, each over a real socket while a second,
/// healthy client checks it is still served.
@Suite(.serialized) struct HardeningTests {
    /// 30,000 nested `GEOMETRYCOLLECTION(` (570 KB) once overflowed GEOS's WKT reader's stack.
    @Test func deeplyNestedGeometryIsRefusedNotFollowed() async throws {
        let server = try await TestServer.start()
        let bad = try Client(port: server.port), healthy = try Client(port: server.port)
        for text in [String(repeating: "GEOMETRYCOLLECTION(", count: 30_000),
                     String(repeating: "[", count: 30_000), "{\"type\":\"Polygon\",\"coordinates\":" + String(repeating: "[", count: 5000)] {
            guard case .error(let e) = try bad.command("INTERSECTS", text) else { Issue.record("accepted"); continue }
            #expect(e.contains("nested deeper than 8 levels"), "\(e)")
        }
        let many = "POLYGON((" + (0..<20_001).map { "\(109 + Double($0) * 1e-6) 24.3" }.joined(separator: ",") + "))"
        guard case .error(let e) = try bad.command("INTERSECTS", many) else { Issue.record("20,001 vertices accepted"); return }
        #expect(e.contains("more than 10000 vertices"))
        #expect(try healthy.command("PING") == .simple("PONG"))
        #expect(try bad.command("PING") == .simple("PONG"))
        try await server.stop()
    }

    /// A client naming a new EPSG code with every request once grew the server by hundreds
    /// of MB for good: every CRS was cached per connection with its own PROJ context.
    @Test func cyclingCRSCodesKeepsNativeHandlesBounded() async throws {
        let server = try await TestServer.start()
        let c = try Client(port: server.port)
        func handles() throws -> Int {
            guard case .bulk(let info?) = try c.command("INFO") else { return -1 }
            let line = info.split(separator: "\r\n").first { $0.hasPrefix("native_handles:") }
            return Int(line?.dropFirst("native_handles:".count) ?? "") ?? -1
        }
        _ = try c.command("LOCATE", "500000", "2700000", "CRS", "EPSG:4545")
        let before = try handles()
        let codes = Array(32601...32660) + Array(32701...32760) + Array(4491...4554)
        var answered = 0
        for code in codes {
            if case .bulk = try c.command("LOCATE", "500000", "2700000", "CRS", "EPSG:\(code)") { answered += 1 }
        }
        #expect(answered > 100, "\(answered) of \(codes.count) codes answered")
        let after = try handles()
        #expect(after - before <= CoordinateConverter.defaultCapacity, "native handles grew from \(before) to \(after)")
        #expect(try c.command("LOCATE", "500000", "2700000", "CRS", "EPSG:4545").json?["grid"] != nil)
        try await server.stop()
    }

    /// `109.43\0abc` once read as 109.43, and hexadecimal floats were accepted.
    @Test func numbersAreDecimalsAndNothingElse() async throws {
        let server = try await TestServer.start()
        let c = try Client(port: server.port)
        for bad in ["109.43\u{0}abc", "0x1.b5p6", "inf", "nan", "1e400", "1.2.3", "--1", "1e", "+", ""] {
            guard case .error(let e) = try c.command("LOCATE", bad, "24.3") else { Issue.record("'\(bad)' accepted"); continue }
            #expect(e.contains("is not a number"), "\(e)")
        }
        for good in ["109.43", "+109.43", "1.0943e2", "109.430000000000000001"] {
            #expect(try c.command("LOCATE", good, "24.3").json?["grid"] != nil, "\(good)")
        }
        try await server.stop()
    }
}
