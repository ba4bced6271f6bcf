import Foundation
import GridMapCore
import NIOCore
import Testing
@testable import GridMapRESP
import GridMapStores
import GridMapPlanning

/// Abusive requests from the review of the server, each over a real socket while a second,
/// healthy client checks it is still served.
@Suite(.serialized) struct HardeningTests {
    /// 30,000 nested `GEOMETRYCOLLECTION(` (570 KB) once overflowed GEOS's WKT reader's stack.
    @Test func deeplyNestedGeometryIsRefusedNotFollowed() async throws {
        let server = try await TestServer.start()
        let bad = try Client(port: server.port), healthy = try Client(port: server.port)
        for text in [
            String(repeating: "GEOMETRYCOLLECTION(", count: 30_000),
            String(repeating: "[", count: 30_000),
            "{\"type\":\"Polygon\",\"coordinates\":" + String(repeating: "[", count: 5000),
        ] {
            guard case .error(let e) = try bad.command("INTERSECTS", text) else { Issue.record("accepted"); continue }
            #expect(e.contains("nested deeper than 8 levels"), "\(e)")
        }
        let many = "POLYGON((" + (0..<20_001).map { "\(109 + Double($0) * 1e-6) 24.3" }.joined(separator: ",") + "))"
        guard case .error(let e) = try bad.command("INTERSECTS", many) else {
            Issue.record("20,001 vertices accepted"); return
        }
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
        var answered = 0, counts: [Int] = []
        for _ in 0..<2 {
            for code in codes {
                if case .bulk = try c.command("LOCATE", "500000", "2700000", "CRS", "EPSG:\(code)") { answered += 1 }
            }
            counts.append(try handles())
        }
        #expect(answered > 200, "\(answered) of \(2 * codes.count) requests answered")
        // Each thread that converts (event loops, pool threads) holds at most its contexts and
        // `defaultCapacity` transformers; a second pass over the same codes adds nothing. (The
        // count is the process's: other suites running beside this one move it by a few.
        // tools/clients/test_hardening.py measures a server process alone, RSS included.)
        let threads = System.coreCount * 2
        #expect(counts[0] - before <= threads * (CoordinateConverter.defaultCapacity + 3) + 8, "\(before) → \(counts)")
        #expect(counts[1] - counts[0] <= 8, "\(before) → \(counts)")
        #expect(try c.command("LOCATE", "500000", "2700000", "CRS", "EPSG:4545").json?["grid"] != nil)
        try await server.stop()
    }

    /// `109.43\0abc` once read as 109.43, and hexadecimal floats were accepted.
    @Test func numbersAreDecimalsAndNothingElse() async throws {
        let server = try await TestServer.start()
        let c = try Client(port: server.port)
        for bad in ["109.43\u{0}abc", "0x1.b5p6", "inf", "nan", "1e400", "1.2.3", "--1", "1e", "+", ""] {
            guard case .error(let e) = try c.command("LOCATE", bad, "24.3") else {
                Issue.record("'\(bad)' accepted"); continue
            }
            #expect(e.contains("is not a number"), "\(e)")
        }
        for good in ["109.43", "+109.43", "1.0943e2", "109.430000000000000001"] {
            #expect(try c.command("LOCATE", good, "24.3").json?["grid"] != nil, "\(good)")
        }
        try await server.stop()
    }

    /// Fifty clients trickling one byte a second of an unfinished request once stayed for
    /// ever: every byte reset the idle timer. A request must now arrive whole in time.
    @Test func trickledRequestsAreDropped() async throws {
        let server = try await TestServer.start { $0.frameTimeout = 1 }
        let slow = try Client(port: server.port), healthy = try Client(port: server.port)
        let frame = Array("*2\r\n$4\r\nPING\r\n$5\r\nhello\r\n".utf8)
        let start = Date()
        var answeredAfter: Double?
        for byte in frame.prefix(frame.count - 1) {
            slow.send([byte])
            var ready = pollfd(fd: slow.fd, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, 500) > 0 { answeredAfter = -start.timeIntervalSinceNow; break }
        }
        guard case .error(let e) = try slow.read() else { Issue.record("a trickled request was kept"); return }
        #expect(e.contains("stayed incomplete for 1 s"))
        #expect(try slow.read() == .closed)
        // Dropped about a second after its first byte, while bytes were still arriving (a byte
        // each half second: the trickle lasts about 15 s, ample for a busy machine's timer).
        #expect((answeredAfter ?? 99) < 10, "\(String(describing: answeredAfter))")
        #expect(try healthy.command("PING") == .simple("PONG"))
        try await server.stop()
    }

    /// Twenty idle connections that never authenticated once kept a client with the password
    /// out for good. They now make room, and are closed after the auth timeout.
    @Test func clientsThatNeverAuthenticateCannotLockOthersOut() async throws {
        let server = try await TestServer.start { $0.credentials.readerPassword = "pw"; $0.maxConnections = 3; $0.authTimeout = 10 }
        let idle = try (0..<3).map { _ in try Client(port: server.port) }
        #expect(try idle[2].command("PING") == .simple("PONG"))
        let user = try Client(port: server.port)
        #expect(try user.command("AUTH", "pw") == .simple("OK"))
        #expect(try user.command("LOCATE", "109.43", "24.3").json?["grid"] != nil)
        // One idle client made room (closed at once); the others are closed at the timeout.
        let replies = try idle.map { try $0.read() }
        #expect(replies.filter { $0 == .closed }.count == 1, "\(replies)")
        #expect(
            replies.filter { if case .error(let e) = $0 { e.contains("authentication timeout") } else { false } }.count
                == 2)
        #expect(try user.command("PING") == .simple("PONG"))
        try await server.stop()
    }
}
