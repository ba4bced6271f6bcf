import Foundation
import GridMapCore
import GridMapTestSupport
import Testing

@testable import GridMapRESP
import GridMapStores
import GridMapPlanning

/// HTTP sent to the RESP port (a web page's form) runs nothing; the commands the server
/// speaks are the ones its protocol document describes.
@Suite struct CrossProtocolTests {
    @Test func httpSentToTheRESPPortRunsNothing() async throws {
        let server = try await TestServer.start()
        let planner = try Client(port: server.port)
        let versions = try planner.command("VERSIONS")
        // What a browser sends for a form posted to this port: headers, then inline commands.
        let forms = [
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 40\r\n\r\n"
                + "PLAN OPEN evil\r\nROLLBACK 1 MESSAGE evil\r\n",
            "PUT /x HTTP/1.1\r\nPLAN OPEN evil\r\n",
            "get / HTTP/1.0\r\n\r\nPLAN OPEN evil\r\n",
            "OPTIONS * HTTP/1.1\r\nPLAN OPEN evil\r\n",
        ]
        for form in forms {
            let page = try Client(port: server.port)
            page.send(form)
            #expect(try page.read() == .closed, "\(form.prefix(20).debugDescription)")
        }
        // A Host line later in a connection ends it too; what came before it was answered.
        let late = try Client(port: server.port)
        late.send("PING\r\nhost: 127.0.0.1:6380\r\nPLAN OPEN evil\r\n")
        #expect(try late.read() == .simple("PONG"))
        #expect(try late.read() == .closed)
        // The same as arrays of bulk strings, as a Redis client would send them.
        let array = try Client(port: server.port)
        #expect(try array.command("POST", "/", "HTTP/1.1") == .closed)
        // Nothing was opened or published, and ordinary clients are served as before.
        guard case .bulk(let drafts?) = try planner.command("PLAN", "DRAFTS") else {
            Issue.record("PLAN DRAFTS failed"); return
        }
        #expect(try JSONParser.parse(drafts)["drafts"]?.array?.isEmpty == true)
        #expect(try planner.command("VERSIONS") == versions)
        let inline = try Client(port: server.port)
        inline.send("PING\r\n")
        #expect(try inline.read() == .simple("PONG"))
        try await server.stop()
    }

    @Test func commandLineNamesAnswerAsTheirRESPNames() async throws {
        let server = try await TestServer.start()
        let c = try Client(port: server.port)
        let grid = try #require(Fixture.snapshot.dataset.grids.first?.id)
        let a = try #require(Fixture.addresses.first { !$0.compound.isEmpty })
        let typed = a.road + a.number + "号" + a.compound
        for (alias, name, args) in [
            ("ROUTE-ADDRESS", "ROUTEADDR", [typed, "0201"]), ("NEIGHBOURS", "NEIGHBORS", [grid]),
            ("AREA", "INTERSECTS", ["BOX", "109.42", "24.29", "109.43", "24.30"]),
            ("REVERSE", "REVGEOCODE", ["109.43", "24.30", "LIMIT", "2"]),
        ] {
            let reply = try c.command([alias] + args)
            // A route's category says when it was received and is due, counted from the moment
            // it is asked: compared without them.
            func timeless(_ r: Client.Reply) -> JSONValue? {
                guard case .object(var o)? = r.json, case .object(var category)? = o["category"] else { return r.json }
                category["received_at"] = nil
                category["due_at"] = nil
                o["category"] = .object(category)
                return .object(o)
            }
            let original = try c.command([name] + args)
            #expect(!reply.isError && reply.json != nil, "\(alias): \(reply)")
            #expect(timeless(reply) == timeless(original), "\(alias)")
        }
        try await server.stop()
    }

    @Test func commandListsWhatTheProtocolDocumentDescribes() async throws {
        let server = try await TestServer.start()
        let client = try Client(port: server.port)
        guard case .array(let list) = try client.command("COMMAND", "LIST") else {
            Issue.record("COMMAND LIST is not an array"); return
        }
        let served = Set(list.compactMap { $0.string?.uppercased() })
        let doc = try String(contentsOfFile: Fixture.root + "/docs/PROTOCOL.md", encoding: .utf8)
        // Headings like "### ROUTE, ROUTEADDR" or "### REVGEOCODE, LOCATE … ADDRESS": each
        // item's first word, for headings whose first word is a command's name (capitals).
        var documented = Set<String>()
        for line in doc.split(separator: "\n") where line.hasPrefix("### ") {
            let items = line.dropFirst(4).split(separator: ",").compactMap { $0.split(separator: " ").first }
            guard let first = items.first, first.allSatisfy({ $0.isUppercase }) else { continue }
            documented.formUnion(items.map(String.init))
        }
        let only = (served: served.subtracting(documented).sorted(),
                    documented: documented.subtracting(served).sorted())
        #expect(served == documented, "served only: \(only.served); documented only: \(only.documented)")
        guard case .integer(let count) = try client.command("COMMAND", "COUNT") else { return }
        #expect(doc.contains("(integer) \(count)\n"), "PROTOCOL's COMMAND COUNT example")
        try await server.stop()
    }
}
