import Foundation
import GridMapCore
import GridMapHTTP
import GridMapTestSupport
import NIOCore
import Testing
import GridMapStores
import GridMapPlanning

/// The same requests, good and bad, through RESP, HTTP and the CLI: every skin translates its
/// syntax into the engine's request types and writes the engine's answer as it is, so the
/// answers are the same bytes, and a refusal has the same code and message in each skin's form
/// (`-ERR code message`, `{"error": {"code", "message"}}`, `Error: code: message`).
@Suite(.serialized) struct ThreeSkinTests {
    /// One request in each skin's syntax.
    struct Case {
        let resp: [String]
        let http: String
        let cli: [String]
    }

    /// An answer or a refusal, as a skin gave it.
    enum Outcome: Equatable {
        case answer(String)
        case refusal(code: String, message: String)
    }

    static func viaRESP(_ port: Int, _ args: [String]) async throws -> Outcome {
        let text = try await respCommand(port, args)
        guard text.hasPrefix("ERR ") else { return .answer(text) }
        let rest = text.dropFirst(4)
        let space = rest.firstIndex(of: " ") ?? rest.endIndex
        return .refusal(code: String(rest[..<space]), message: String(rest[space...].dropFirst()))
    }

    static func viaHTTP(_ client: TestClient, _ uri: String) async throws -> Outcome {
        let (method, path) = uri.hasPrefix("POST ") ? ("POST", String(uri.dropFirst(5))) : ("GET", uri)
        let parts = path.split(separator: " ", maxSplits: 1)
        let body = parts.count > 1 ? ByteBuffer(string: String(parts[1])) : nil
        let r = try await client.execute(uri: String(parts[0]), method: .init(method)!, body: body)
        let text = String(buffer: r.body)
        guard r.status.code >= 400 else { return .answer(text) }
        let e = try JSONParser.parse(text)["error"]
        return .refusal(code: e?["code"]?.string ?? "?", message: e?["message"]?.string ?? "?")
    }

    static func viaCLI(_ args: [String]) throws -> Outcome {
        let r = try gridmap(args)
        guard r.status != 0 else { return .answer(String(r.out.dropLast())) }
        let line = r.err.split(separator: "\n").last { $0.hasPrefix("Error: ") }.map { String($0.dropFirst(7)) }
            ?? "?: \(r.err)"
        let colon = line.range(of: ": ")
        return .refusal(code: colon.map { String(line[..<$0.lowerBound]) } ?? line,
                        message: colon.map { String(line[$0.upperBound...]) } ?? "")
    }

    /// Runs every case through the three skins on `store`.
    static func check(_ cases: [Case], store: String) async throws {
        let service = try MapService(storeLocation: store)
        try await withRESPServer(service) { port in
            try await withServer(map: ServedMap(service)) { http in
                for c in cases {
                    let r = withoutReceipt(try await viaRESP(port, c.resp))
                    let h = withoutReceipt(try await viaHTTP(http, c.http))
                    let l = withoutReceipt(try viaCLI(c.cli + ["--store", store]))
                    #expect(r == h && h == l, "\(c.resp.joined(separator: " "))\nRESP \(r)\nHTTP \(h)\nCLI  \(l)")
                }
            }
        }
    }

    static func newStore() throws -> String {
        let path = Scratch.path("skins") + ".gridmap"
        _ = try Stores.create(path, from: snapshot.dataset, author: "t", message: "t")
        return path
    }

    @Test func lookupsAnswerAlike() async throws {
        // 35 requests (ROUTE's due time aside, byte for byte).
        let store = try Self.newStore()
        let a = snapshot.dataset.addresses[321]
        // Coordinates as programs print them: every digit.
        let lon = String(a.location.x + 1e-9), lat = String(a.location.y - 1e-9)
        let grid = snapshot.dataset.grids[17], community = grid.communityID
        let q = a.text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let cases: [Case] = [
            Case(resp: ["LOCATE", lon, lat], http: "/api/locate?lon=\(lon)&lat=\(lat)", cli: ["locate", lon, lat]),
            Case(resp: ["LOCATE", "109.43613", "24.29702", "CRS", "gcj02", "ASOF", "1"],
                 http: "/api/locate?lon=109.43613&lat=24.29702&crs=gcj02&asof=1",
                 cli: ["locate", "109.43613", "24.29702", "--crs", "gcj02", "--asof", "1"]),
            Case(resp: ["LOCATE", lon, lat, "ADDRESS", "80"], http: "/api/locate?lon=\(lon)&lat=\(lat)&address=80",
                 cli: ["locate", lon, lat, "--address", "80"]),
            Case(resp: ["NEARBY", lon, lat, "KIND", "grid_worker", "LIMIT", "3"],
                 http: "/api/nearby?lon=\(lon)&lat=\(lat)&kind=grid_worker&limit=3",
                 cli: ["nearby", lon, lat, "--kind", "grid_worker", "--limit", "3"]),
            Case(resp: ["REVGEOCODE", lon, lat, "RADIUS", "100"], http: "/api/reverse?lon=\(lon)&lat=\(lat)&radius=100",
                 cli: ["reverse", lon, lat, "--radius", "100"]),
            Case(resp: ["GEOCODE", a.text, "LIMIT", "2"], http: "/api/geocode?q=\(q)&limit=2",
                 cli: ["geocode", a.text, "--limit", "2"]),
            Case(resp: ["INTERSECTS", "CIRCLE", lon, lat, "300"], http: "/api/area?circle=\(lon),\(lat),300",
                 cli: ["area", "--circle", "\(lon),\(lat),300"]),
            Case(resp: ["GRID", grid.id], http: "/api/grid/\(grid.id)", cli: ["grid", grid.id]),
            Case(resp: ["GRID", grid.id, "ASOF", "1"], http: "/api/grid/\(grid.id)?asof=1",
                 cli: ["grid", grid.id, "--asof", "1"]),
            Case(resp: ["NEIGHBORS", grid.id, "ASOF", "1"], http: "/api/neighbours/\(grid.id)?asof=1",
                 cli: ["neighbours", grid.id, "--asof", "1"]),
            Case(resp: ["GRIDS", "COMMUNITY", community], http: "/api/grids?community=\(community)",
                 cli: ["grids", "--community", community]),
            Case(resp: ["NEIGHBORS", grid.id], http: "/api/neighbours/\(grid.id)", cli: ["neighbours", grid.id]),
            Case(resp: ["VERSIONS", "LIMIT", "1"], http: "/api/versions?limit=1", cli: ["store", "versions", "--limit", "1"]),
            Case(resp: ["VERSION", "1"], http: "/api/version/1", cli: ["store", "show", "1"]),
            Case(resp: ["DIFF", "1", "1"], http: "/api/diff?from=1&to=1", cli: ["store", "diff", "1", "1"]),
            Case(resp: ["ROUTE", lon, lat, "0201", "BORDER", "40"],
                 http: "/api/route?lon=\(lon)&lat=\(lat)&category=0201&border=40",
                 cli: ["route", lon, lat, "0201", "--border", "40"]),
            Case(resp: ["ROUTE", lon, lat, "1001"], http: "/api/route?lon=\(lon)&lat=\(lat)&category=1001",
                 cli: ["route", lon, lat, "1001"]),
            Case(resp: ["ROUTE", lon, lat, "9999"], http: "/api/route?lon=\(lon)&lat=\(lat)&category=9999",
                 cli: ["route", lon, lat, "9999"]),
            Case(resp: ["ROUTE", "100", "20", "0201"], http: "/api/route?lon=100&lat=20&category=0201",
                 cli: ["route", "100", "20", "0201"]),
            // Refusals: the same code and message.
            Case(resp: ["LOCATE", lon, "95"], http: "/api/locate?lon=\(lon)&lat=95", cli: ["locate", lon, "95"]),
            Case(resp: ["LOCATE", "abc", lat], http: "/api/locate?lon=abc&lat=\(lat)", cli: ["locate", "abc", lat]),
            Case(resp: ["LOCATE", lon, lat, "CRS", "utm"], http: "/api/locate?lon=\(lon)&lat=\(lat)&crs=utm",
                 cli: ["locate", lon, lat, "--crs", "utm"]),
            Case(resp: ["LOCATE", lon, lat, "ASOF", "9"], http: "/api/locate?lon=\(lon)&lat=\(lat)&asof=9",
                 cli: ["locate", lon, lat, "--asof", "9"]),
            Case(resp: ["NEARBY", lon, lat, "LIMIT", "0"], http: "/api/nearby?lon=\(lon)&lat=\(lat)&limit=0",
                 cli: ["nearby", lon, lat, "--limit", "0"]),
            Case(resp: ["NEARBY", lon, lat, "KIND", "tank"], http: "/api/nearby?lon=\(lon)&lat=\(lat)&kind=tank",
                 cli: ["nearby", lon, lat, "--kind", "tank"]),
            Case(resp: ["GRID", "4502"], http: "/api/grid/4502", cli: ["grid", "4502"]),
            Case(resp: ["GRIDS", "STREET", "nope"], http: "/api/grids?street=nope", cli: ["grids", "--street", "nope"]),
            Case(resp: ["INTERSECTS", "CIRCLE", lon, lat, "0"], http: "/api/area?circle=\(lon),\(lat),0",
                 cli: ["area", "--circle", "\(lon),\(lat),0"]),
            Case(resp: ["VERSIONS", "LIMIT", "0"], http: "/api/versions?limit=0", cli: ["store", "versions", "--limit", "0"]),
            Case(resp: ["VERSION", "7"], http: "/api/version/7", cli: ["store", "show", "7"]),
            // Bad numbers in options, each skin's syntax for them: the engine's message.
            Case(resp: ["NEARBY", lon, lat, "LIMIT", "abc"], http: "/api/nearby?lon=\(lon)&lat=\(lat)&limit=abc",
                 cli: ["nearby", lon, lat, "--limit", "abc"]),
            Case(resp: ["LOCATE", lon, lat, "ADDRESS", "x"], http: "/api/locate?lon=\(lon)&lat=\(lat)&address=x",
                 cli: ["locate", lon, lat, "--address", "x"]),
            Case(resp: ["INTERSECTS", "CIRCLE", lon, "x", "300"], http: "/api/area?circle=\(lon),x,300",
                 cli: ["area", "--circle", "\(lon),x,300"]),
            Case(resp: ["LOCATE", "200", lat, "ASOF", "99"], http: "/api/locate?lon=200&lat=\(lat)&asof=99",
                 cli: ["locate", "200", lat, "--asof", "99"]),
            Case(resp: ["VERSIONS", "LIMIT", "ten"], http: "/api/versions?limit=ten",
                 cli: ["store", "versions", "--limit", "ten"]),
        ]
        try await Self.check(cases, store: store)
    }

    /// The measures (绩在网中评) through the three skins: the same JSON bytes for each object and
    /// attribution, and a refusal with the same code and message.
    @Test func statsAnswerAlike() async throws {
        let store = try Self.newStore()
        let map = MapView(try MapService(storeLocation: store))
        let dispatcher = CaseActor(account: "调度员", role: .dispatcher)
        let day: Int64 = 86_400_000, start = Clock.nowMs - 20 * day
        for (k, a) in snapshot.dataset.addresses.enumerated() where k % 997 == 0 {
            let point = try PointQuery(lon: String(a.location.x), lat: String(a.location.y))
            let r = try CaseReportRequest(place: .point(point), category: k % 2 == 0 ? "0101" : "0201",
                                          description: "第\(k)件")
            let answer = try JSONParser.parse(try r.answer(map, actor: dispatcher, nowMs: start + Int64(k) * 60_000))
            let id = try #require(answer["id"]?.int)
            if k % 3 == 0 {
                _ = try CaseActRequest(id: "\(id)", action: "accept", note: nil, unit: nil, due: nil, expect: nil)
                    .answer(map, actor: dispatcher)
            }
        }
        // As of one moment, so that the answers (which name it) are comparable byte for byte.
        let (from, to) = ("2000-01-01", "2100-01-01")
        let asofText = CaseCoding.chinaTime(Clock.nowMs)
        let asof = asofText.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        var cases: [Case] = []
        for by in ["grid", "street", "unit", "category", "worker"] {
            for attribution in ["stamped", "current", "1"] {
                cases.append(Case(
                    resp: ["CASE", "STATS", "BY", by, "FROM", from, "TO", to, "ATTRIBUTION", attribution,
                           "ASOF", asofText],
                    http: "/api/stats?by=\(by)&from=\(from)&to=\(to)&attribution=\(attribution)&asof=\(asof)",
                    cli: ["stats", "--by", by, "--from", from, "--to", to, "--attribution", attribution,
                          "--asof", asofText]))
            }
        }
        let direct = try JSONParser.parse(try CaseStatsRequest([("by", "grid"), ("from", from), ("to", to)]).answer(map))
        #expect((direct["rows"]?.array?.count ?? 0) > 3, "the cases fall in several grids: \(direct)")
        cases.append(Case(resp: ["CASE", "STATS", "BY", "planet", "FROM", from, "TO", to],
                          http: "/api/stats?by=planet&from=\(from)&to=\(to)",
                          cli: ["stats", "--by", "planet", "--from", from, "--to", to]))
        try await Self.check(cases, store: store)
    }

    /// ROUTE's answers name when the report came in: the three skins, a moment apart, differ
    /// only there.
    static func withoutReceipt(_ o: Outcome) -> Outcome {
        guard case .answer(let text) = o, let json = try? JSONParser.parse(text), json["category"] != nil,
              case .object(var top) = json, case .object(var c)? = top["category"] else { return o }
        c["received_at"] = nil
        c["due_at"] = nil
        top["category"] = .object(c)
        return .answer(JSONValue.object(top).serialized)
    }

    /// Every planning operation, on three copies of one store, one per skin; the answers are
    /// the same but for the clock (times and durations are blanked).
    @Test func planningAnswersAlike() async throws {
        let grid = "450203004002006"
        let line = "LINESTRING(109.4195 24.30665, 109.4222 24.30655)"
        func plan(_ resp: [String], _ http: String, _ cli: [String]) -> Case {
            Case(resp: ["PLAN"] + resp, http: http, cli: ["plan"] + cli)
        }
        let cases: [Case] = [
            plan(["OPEN", "skins"], #"POST /api/plan/drafts {"name":"skins"}"#, ["open", "--name", "skins"]),
            plan(["SPLIT", "1", grid, line], #"POST /api/plan/drafts/1/split {"grid":"\#(grid)","line":"\#(line)"}"#,
                 ["split", "--draft", "1", "--grid", grid, "--line", line]),
            plan(["SPLIT", "1", grid, "LINESTRING(1 1, 2 2)"],
                 #"POST /api/plan/drafts/1/split {"grid":"\#(grid)","line":"LINESTRING(1 1, 2 2)"}"#,
                 ["split", "--draft", "1", "--grid", grid, "--line", "LINESTRING(1 1, 2 2)"]),
            plan(["SET", "1", "450203004002001", "Households", "5"],
                 #"POST /api/plan/drafts/1/set {"grid":"450203004002001","field":"Households","value":"5"}"#,
                 ["set", "--draft", "1", "--grid", "450203004002001", "Households", "5"]),
            plan(["SET", "1", "450203004002001", "colour", "red"],
                 #"POST /api/plan/drafts/1/set {"grid":"450203004002001","field":"colour","value":"red"}"#,
                 ["set", "--draft", "1", "--grid", "450203004002001", "colour", "red"]),
            plan(["MERGE", "1", "450203004002001"], #"POST /api/plan/drafts/1/merge {"grids":["450203004002001"]}"#,
                 ["merge", "--draft", "1", "450203004002001"]),
            plan(["DRAFTS"], "/api/plan/drafts", ["drafts"]),
            plan(["IMPACT", "1"], "/api/plan/drafts/1/impact", ["impact", "--draft", "1", "--json"]),
            plan(["IMPACT", "99"], "/api/plan/drafts/99/impact", ["impact", "--draft", "99", "--json"]),
            plan(["VALIDATE", "1"], "/api/plan/drafts/1/validate", ["validate", "--draft", "1", "--json"]),
            plan(["SHOW", "1"], "/api/plan/drafts/1", ["show", "--draft", "1"]),
            plan(["SHOW", "0"], "/api/plan/drafts/0", ["show", "--draft", "0"]),
            plan(["PUBLISH", "1", "MESSAGE", "m"], #"POST /api/plan/drafts/1/publish {"message":"m"}"#,
                 ["publish", "--draft", "1", "--message", "m"]),
            plan(["PUBLISH", "1"], "POST /api/plan/drafts/1/publish", ["publish", "--draft", "1"]),
            plan(["DISCARD", "0"], "POST /api/plan/drafts/0/discard", ["discard", "--draft", "0"]),
            plan(["IMPACT", "x"], "/api/plan/drafts/x/impact", ["impact", "--draft", "x", "--json"]),
            // One grammar: an unknown operation is the same refusal in all three; an operation
            // named as another skin spells it reaches the same request.
            plan(["rotate", "1", grid], #"POST /api/plan/drafts/1/rotate {"grid":"\#(grid)"}"#,
                 ["rotate", "--draft", "1", "grid=\(grid)"]),
            plan(["MOVE_COMMUNITY", "1", grid, "450203004001"],
                 #"POST /api/plan/drafts/1/move-community {"grid":"\#(grid)","community":"450203004001"}"#,
                 ["op", "movecommunity", "--draft", "1", "grid=\(grid)", "community=450203004001"]),
        ]
        // Separate stores, the same start: each skin makes its own draft 1.
        let stores = try (0..<3).map { _ in try Self.newStore() }
        let outcomes = Collected()
        try await withRESPServer(try MapService(storeLocation: stores[0])) { port in
            for c in cases { outcomes.add(0, try await Self.viaRESP(port, c.resp)) }
        }
        try await withServer(map: ServedMap(try MapService(storeLocation: stores[1]))) { http in
            for c in cases { outcomes.add(1, try await Self.viaHTTP(http, c.http)) }
        }
        for c in cases { outcomes.add(2, try Self.viaCLI(c.cli + ["--store", stores[2]])) }
        for (k, c) in cases.enumerated() {
            let (r, h, l) = (Self.timeless(outcomes[0][k]), Self.timeless(outcomes[1][k]),
                             Self.timeless(outcomes[2][k]))
            #expect(r == h && h == l, "\(c.resp.joined(separator: " "))\nRESP \(r)\nHTTP \(h)\nCLI  \(l)")
        }
        #expect(outcomes[0].contains { if case .refusal = $0 { true } else { false } })
    }

    /// The outcomes by skin. `@unchecked Sendable`: each skin's requests run one after another,
    /// awaited in turn, so no two accesses ever overlap.
    final class Collected: @unchecked Sendable {
        private var items: [[Outcome]] = [[], [], []]
        func add(_ skin: Int, _ o: Outcome) { items[skin].append(o) }
        subscript(skin: Int) -> [Outcome] { items[skin] }
    }

    /// An answer with its times and durations blanked (three skins cannot publish at one
    /// instant), its author too (each skin names its own user).
    static func timeless(_ o: Outcome) -> Outcome {
        guard case .answer(let text) = o, let json = try? JSONParser.parse(text) else { return o }
        func blank(_ v: JSONValue) -> JSONValue {
            switch v {
            case .object(let obj):
                var out = JSONObject()
                for (k, x) in obj {
                    let clock = k.hasSuffix("_ms") || k.hasSuffix("_at") || k == "milliseconds" || k == "at"
                    out[k] = clock || k == "author" ? .null : blank(x)
                }
                return .object(out)
            case .array(let a): return .array(a.map(blank))
            default: return v
            }
        }
        return .answer(blank(json).serialized)
    }
}
