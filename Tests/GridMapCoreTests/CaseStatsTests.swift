import Foundation
import GridMapTestSupport
import Testing

@testable import GridMapCases
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapPlanning
@testable import GridMapStore
@testable import GridMapStores

/// The measures (绩在网中评) on every backend: the formulas on cases whose outcome is known,
/// the two attributions across a split published between reports (each checked against GEOS
/// `covers` on that version's geometry, points on edges and vertices and a hair beside them
/// included), the district's totals equal under both, and a month's figures unchanged when
/// asked as of the moment they were first taken.
@Suite struct CaseStatsTests {
    static let hour: Int64 = 3_600_000
    static let t0: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z

    /// The index of the first grid of `d` whose geometry covers `p` (the boundary rule: the
    /// lowest index), by GEOS.
    static func covering(_ d: Dataset, _ p: Coordinate) throws -> String? {
        let geos = ThreadResources.current.geos
        let point = try geos.geometry(.point(p))
        for g in d.grids where try geos.geometry(g.shape).covers(point) { return g.id }
        return nil
    }

    private func stats(_ map: MapView, _ pairs: [(String, String)], now: Int64) throws -> JSONValue {
        try JSONParser.parse(try CaseStatsRequest(pairs).answer(map, nowMs: now))
    }

    private func report(_ map: MapView, _ p: Coordinate, at ms: Int64, category: String = "0101") throws -> Int {
        let r = try CaseReportRequest(place: .point(PointQuery(lon: p.x, lat: p.y)), category: category)
        let c = try JSONParser.parse(try r.answer(map, actor: CaseActor(account: "r", role: .reporter), nowMs: ms))
        return try #require(c["id"]?.int)
    }

    private func act(_ map: MapView, _ id: Int, _ action: String, at ms: Int64, due: String? = nil) throws {
        let needsNote = ["handle", "fail", "defer", "extend", "refuse", "void"].contains(action)
        let r = try CaseActRequest(id: "\(id)", action: action, note: needsNote ? "说明" : nil, due: due)
        _ = try r.answer(map, actor: CaseActor(account: "d", role: .dispatcher), nowMs: ms)
    }

    @Test(arguments: StoreBackend.available)
    func formulasOnKnownOutcomes(_ backend: StoreBackend) throws {
        let (_, location) = try makeStore(backend)
        let service = try MapService(storeLocation: location)
        let map = MapView(service)
        let g = StoreFixture.dataset.grids[10]
        let p = try ThreadResources.current.geos.geometry(g.shape).pointOnSurface().coordinate()
        let h = Self.hour, t0 = Self.t0
        // 0101's limit is 24 h. A: closed in 10 h (on time); B: closed at 30 h (late); C: open
        // past due; D: deferred before due; E: refused; F: failed once at 核查, then closed on time.
        let a = try report(map, p, at: t0), b = try report(map, p, at: t0 + h), c = try report(map, p, at: t0 + 2 * h)
        let d = try report(map, p, at: t0 + 3 * h), e = try report(map, p, at: t0 + 4 * h)
        let f = try report(map, p, at: t0 + 5 * h)
        for (id, start) in [(a, t0), (b, t0 + h), (f, t0 + 5 * h)] {
            try act(map, id, "accept", at: start + 1)
            try act(map, id, "dispatch", at: start + 2)
            try act(map, id, "handle", at: start + 3)
        }
        try act(map, a, "pass", at: t0 + 10 * h)
        try act(map, b, "pass", at: t0 + h + 30 * h)
        try act(map, f, "fail", at: t0 + 5 * h + 4)
        try act(map, f, "handle", at: t0 + 5 * h + 5)
        try act(map, f, "pass", at: t0 + 5 * h + 6)
        try act(map, c, "accept", at: t0 + 2 * h + 1)
        try act(map, d, "accept", at: t0 + 3 * h + 1)
        try act(map, d, "defer", at: t0 + 3 * h + 2)
        try act(map, e, "refuse", at: t0 + 4 * h + 1)
        let from = CaseCoding.chinaTime(t0 - h), to = CaseCoding.chinaTime(t0 + 72 * h)
        let out = try stats(map, [("by", "district"), ("from", from), ("to", to), ("attribution", "stamped"),
                                  ("minimum", "1")], now: t0 + 100 * h)
        let row = try #require(out["rows"]?.array?.first)
        #expect(row["reported"] == 6 && row["accepted"] == 5 && row["refused"] == 1 && row["dispatched"] == 3)
        #expect(row["closed"] == 3 && row["closed_on_time"] == 2, "\(row)")
        // Due in the period: A, B, C, D, F (E was refused first); D deferred at its due time.
        #expect(row["due"] == 5 && row["deferred"] == 1)
        #expect(row["closure_rate"] == ["value": 0.75, "numerator": 3, "denominator": 4])
        #expect(row["on_time_rate"] == ["value": 0.5, "numerator": 2, "denominator": 4])
        // Late: B closed late, C open past due at the period's end.
        #expect(row["overdue"] == 2)
        #expect(row["rework_rate"] == ["value": 0.3333, "numerator": 1, "denominator": 3])
        // 立案 → 结案: A 10 h, B 30 h, F about 0 h.
        #expect(row["time_to_close_hours"]?["median"]?.number.map { abs($0 - 10) < 0.01 } == true)
        #expect(row["rank"] == 1 && row["small_sample"] == false)
        // As of a moment before B closed, B is not closed yet: figures are what was known then.
        let earlier = try stats(map, [("by", "district"), ("from", from), ("to", to), ("attribution", "stamped"),
                                      ("asof", CaseCoding.chinaTime(t0 + 20 * h))], now: t0 + 100 * h)
        #expect(earlier["rows"]?.array?.first?["closed"] == 2)
        #expect(earlier["rows"]?.array?.first?["small_sample"] == true, "4 cases are fewer than the minimum 5")
        #expect(earlier["rows"]?.array?.first?["rank"] == .null)
    }

    @Test(arguments: StoreBackend.available)
    func bothAttributionsAcrossASplitMatchGEOS(_ backend: StoreBackend) throws {
        let (store, location) = try makeStore(backend)
        let before = try MapService(storeLocation: location)
        let v1 = before.current.dataset
        let g = v1.grids[10]
        // Points in the grid and around it: its vertices, its edges' midpoints, a hair (1e-9°)
        // beside each, and a spread of points across its box.
        var points: [Coordinate] = []
        let ring = g.shape.polygons[0][0]
        for (i, v) in ring.dropLast().enumerated() {
            let w = ring[i + 1]
            let mid = Coordinate((v.x + w.x) / 2, (v.y + w.y) / 2)
            points += [v, mid, Coordinate(mid.x + 1e-9, mid.y), Coordinate(mid.x, mid.y - 1e-9)]
        }
        let b = try #require(g.shape.bounds)
        for i in 0..<7 {
            for j in 0..<7 {
                points.append(Coordinate(b.minX + (b.maxX - b.minX) * (Double(i) + 0.5) / 7,
                                         b.minY + (b.maxY - b.minY) * (Double(j) + 0.5) / 7))
            }
        }
        let map1 = MapView(before)
        var reported: [Coordinate] = []
        for (k, p) in points.enumerated() where try Self.covering(v1, p) != nil {
            _ = try report(map1, p, at: Self.t0 + Int64(k) * 60_000)
            reported.append(p)
        }
        // The split, published after the reports.
        let planner = Planner(store: store)
        let draft = try planner.open(name: "split", author: "p").id
        try planner.apply(.split(grid: g.id, line: try lineAcross(g)), to: draft)
        // The piece without the grid's worker gets one to spare elsewhere, as a planner would.
        for empty in try planner.validate(draft: draft).errors.flatMap(\.grids) {
            let worker = try #require(spareWorkers(v1).first { $0.gridID != g.id })
            try planner.apply(.assign(resource: worker.id, grid: empty), to: draft)
        }
        _ = try planner.publish(draft: draft, author: "p")
        let after = try MapService(storeLocation: location)
        let v2 = after.current.dataset
        #expect(after.current.version == "2")
        let map2 = MapView(after)

        let period = [("from", CaseCoding.chinaTime(Self.t0 - Self.hour)),
                      ("to", CaseCoding.chinaTime(Self.t0 + 1000 * Self.hour)), ("minimum", "0")]
        func counts(_ attribution: String) throws -> (rows: [String: Int], unplaced: Int, version: JSONValue?) {
            let out = try stats(map2, [("by", "grid"), ("attribution", attribution)] + period,
                                now: Self.t0 + 2000 * Self.hour)
            var rows: [String: Int] = [:]
            for r in out["rows"]?.array ?? [] { rows[r["id"]?.string ?? ""] = r["reported"]?.int ?? 0 }
            return (rows, out["unplaced"]?["reported"]?.int ?? 0, out["version"])
        }
        var expectedStamped: [String: Int] = [:], expectedCurrent: [String: Int] = [:], outside = 0
        for p in reported {
            expectedStamped[try #require(try Self.covering(v1, p)), default: 0] += 1
            if let id = try Self.covering(v2, p) { expectedCurrent[id, default: 0] += 1 } else { outside += 1 }
        }
        let stamped = try counts("stamped"), current = try counts("current")
        #expect(stamped.rows == expectedStamped)
        #expect(current.rows == expectedCurrent)
        #expect(current.unplaced == outside)
        #expect(stamped.version == .null && current.version == 2)
        // The old grid's history went to its pieces; the totals are the same both ways.
        #expect(current.rows[g.id] == nil && (stamped.rows[g.id] ?? 0) > 0)
        #expect(current.rows.keys.filter { !v1.grids.map(\.id).contains($0) }.count == 2, "\(current.rows)")
        #expect(stamped.rows.values.reduce(0, +) == reported.count)
        #expect(current.rows.values.reduce(0, +) + current.unplaced == reported.count)
        let district = try ["stamped", "current", "1"].map { a in
            try stats(map2, [("by", "district"), ("attribution", a)] + period, now: Self.t0 + 2000 * Self.hour)
        }
        let totals = district.map { $0["rows"]?.array?.first?["reported"]?.int }
        #expect(totals == Array(repeating: reported.count, count: 3))
        // Version 1's map, asked by number, is the stamped map here (every case was reported on it).
        #expect(try counts("1").rows == expectedStamped)
        _ = v2
    }

    /// The measures' cache reads on from where it stopped and holds exactly what reading the log
    /// whole gives: after new reports and new events on old cases, as of past moments, and with
    /// another server (another `MapService` on the same log) writing in between.
    @Test(arguments: StoreBackend.available)
    func theCacheHoldsWhatTheWholeLogSays(_ backend: StoreBackend) throws {
        let (_, location) = try makeStore(backend)
        let map = MapView(try MapService(storeLocation: location))
        let other = MapView(try MapService(storeLocation: location))
        let desk = map.service.cases
        let h = Self.hour, t0 = Self.t0
        let g = StoreFixture.dataset.grids[20]
        let p = try ThreadResources.current.geos.geometry(g.shape).pointOnSurface().coordinate()
        func describe(_ list: [CaseHistory]) -> [String] {
            list.map { c in
                "\(c.id) \(c.reportedMs) \(c.category) \(c.source) \(c.grid) \(c.unit ?? "-") \(c.workers) "
                    + "\(c.stampedDueMs) " + c.events.map { e in
                        "\(e.atMs):\(e.action?.rawValue ?? "-")>\(e.to.rawValue):\(e.dueMs ?? -1)"
                    }.joined(separator: ",")
            }
        }
        func check(_ when: String) throws {
            for asOf in [t0 + 2 * h, t0 + 30 * h, t0 + 1000 * h] {
                let cached = try desk.with {
                    try desk.histories.histories($0, reportedBefore: t0 + 500 * h, asOfMs: asOf)
                }
                let whole = try desk.with { try $0.histories(reportedBefore: t0 + 500 * h, asOfMs: asOf) }
                #expect(describe(cached) == describe(whole), "\(when), as of +\((asOf - t0) / h) h")
                #expect(!whole.isEmpty)
                // For a period from a moment: only those that may count then (by day, when as of now).
                for from in [t0 - h, t0 + 25 * h, t0 + 45 * h, t0 + 300 * h] {
                    let some = try desk.with {
                        try desk.histories.histories($0, reportedBefore: t0 + 500 * h, asOfMs: asOf, fromMs: from)
                    }
                    #expect(describe(some) == describe(whole.filter { $0.mayCount(fromMs: from) }),
                            "\(when), as of +\((asOf - t0) / h) h, from +\((from - t0) / h) h")
                }
            }
        }
        let a = try report(map, p, at: t0), b = try report(map, p, at: t0 + h)
        try check("two reports")
        try act(map, a, "accept", at: t0 + 1)
        try act(map, a, "dispatch", at: t0 + 2)
        let c = try report(other, p, at: t0 + 3 * h, category: "0201")
        try act(other, b, "accept", at: t0 + h + 1)
        try check("events on old cases, and another server's")
        try act(map, a, "handle", at: t0 + 20 * h)
        try act(map, a, "fail", at: t0 + 21 * h)
        try act(other, a, "handle", at: t0 + 40 * h)
        try act(map, a, "pass", at: t0 + 41 * h)
        try act(map, c, "accept", at: t0 + 3 * h + 1)
        try act(map, c, "extend", at: t0 + 3 * h + 2, due: CaseCoding.chinaTime(t0 + 200 * h))
        try act(map, b, "defer", at: t0 + 50 * h)
        try check("rework, an extension, a deferral")
        #expect(desk.histories.count == 3)
        // And the answers over it: the same as a fresh server's, which reads the log whole.
        let fresh = MapView(try MapService(storeLocation: location))
        for by in ["grid", "unit", "district"] {
            let pairs = [("by", by), ("from", CaseCoding.chinaTime(t0 - h)), ("to", CaseCoding.chinaTime(t0 + 300 * h))]
            #expect(try stats(map, pairs, now: t0 + 400 * h) == stats(fresh, pairs, now: t0 + 400 * h))
        }
    }

    /// The cases the measures skip before attributing them (`mayCount`) are exactly ones that
    /// would count nothing: random histories, random periods and moments.
    @Test func skippedCasesCountNothing() {
        var random = SeededRandom(seed: 40)
        let h = Self.hour, t0 = Self.t0
        let paths: [[(CaseAction, CaseStage)]] = [
            [(.accept, .accepted), (.dispatch, .dispatched), (.handle, .handled), (.pass, .closed)],
            [(.accept, .accepted), (.dispatch, .dispatched), (.handle, .handled), (.fail, .dispatched),
             (.handle, .handled), (.pass, .closed)],
            [(.refuse, .refused)], [(.void, .voided)], [(.accept, .accepted), (.dispatch, .dispatched)],
            [(.accept, .accepted), (.dispatch, .dispatched), (.`defer`, .deferred)],
            [(.accept, .accepted), (.dispatch, .dispatched), (.`defer`, .deferred), (.resume, .dispatched)],
            [(.accept, .accepted), (.dispatch, .dispatched), (.extend, .dispatched), (.handle, .handled),
             (.pass, .closed)],
            [],
        ]
        var skipped = 0
        for n in 0..<20_000 {
            let reported = t0 + Int64(random.unit() * Double(2000 * h))
            var t = reported
            let path = paths[Int(random.unit() * Double(paths.count)) % paths.count]
            let steps = path.prefix(Int(random.unit() * Double(path.count + 1)))
            var events: [(atMs: Int64, action: CaseAction?, to: CaseStage, dueMs: Int64?)] = []
            for (action, to) in steps {
                t += Int64(random.unit() * Double(60 * h))
                events.append((t, action, to, action == .extend ? t + Int64(random.unit() * Double(200 * h)) : nil))
            }
            let c = CaseHistory(id: n, reportedMs: reported, category: "0101", source: "handheld", lon: 0, lat: 0,
                                grid: "g", community: "c", street: "s", unit: nil, department: nil, workers: [],
                                stampedDueMs: reported + Int64(random.unit() * Double(100 * h)), events: events,
                                firstSeq: 1, lastSeq: 1 + events.count)
            let from = t0 + Int64(random.unit() * Double(2400 * h))
            let to = from + Int64(1 + random.unit() * Double(800 * h))
            let asOf = from + Int64(random.unit() * Double(1200 * h))
            guard !c.mayCount(fromMs: from) else { continue }
            skipped += 1
            var m = CaseMeasures()
            m.add(c, fromMs: from, toMs: to, asOfMs: asOf)
            #expect(m.isEmpty, "case \(n) skipped but counts in [\(from), \(to)) as of \(asOf)")
            if !m.isEmpty { break }
        }
        #expect(skipped > 1000)
    }

    /// Ranks: one more than the rows strictly better (on-time rate, then closure rate), ties
    /// sharing the first of their equals' rank, small samples unranked — on random rows full of
    /// ties, against that definition computed pair by pair.
    @Test func ranksAreCompetitionRanks() {
        var random = SeededRandom(seed: 41)
        for _ in 0..<50 {
            let rows = (0..<300).map { _ -> CaseMeasures in
                var m = CaseMeasures()
                m.due = Int(random.unit() * 8)
                m.closed = Int(random.unit() * Double(m.due + 1))
                m.closedOnTime = Int(random.unit() * Double(m.closed + 1))
                return m
            }
            let minimum = Int(random.unit() * 4)
            let key = rows.map { ($0.onTimeRate.value ?? -1, $0.closureRate.value ?? -1) }
            let eligible = rows.indices.filter { rows[$0].base >= minimum && rows[$0].base > 0 }
            let want: [Int?] = rows.indices.map { i in
                eligible.contains(i) ? 1 + eligible.filter { key[$0] > key[i] }.count : nil
            }
            #expect(CaseRanking.ranks(rows, minimum: minimum) == want)
        }
    }

    /// A period that is over is computed once while the log stays where it is, and again as soon
    /// as anything is appended — even an event dated inside it.
    @Test(arguments: StoreBackend.available)
    func aPastPeriodIsKeptUntilTheLogMoves(_ backend: StoreBackend) throws {
        let (_, location) = try makeStore(backend)
        let map = MapView(try MapService(storeLocation: location))
        let levels = map.service.cases.levels
        let h = Self.hour, t0 = Self.t0
        let g = StoreFixture.dataset.grids[30]
        let p = try ThreadResources.current.geos.geometry(g.shape).pointOnSurface().coordinate()
        let a = try report(map, p, at: t0)
        try act(map, a, "accept", at: t0 + 1)
        let period = [("by", "grid"), ("from", CaseCoding.chinaTime(t0 - h)), ("to", CaseCoding.chinaTime(t0 + 72 * h))]
        let first = try stats(map, period, now: t0 + 100 * h)
        #expect(levels.count == 1)
        #expect(try stats(map, period + [("id", g.id)], now: t0 + 100 * h)["rows"]?.array?.count == 1)
        #expect(levels.count == 1, "the card's request read the kept level")
        #expect(try stats(map, period, now: t0 + 200 * h) == first.replacing(asof: t0 + 200 * h))
        // An event dated inside the period, appended later: the level is computed again.
        try act(map, a, "dispatch", at: t0 + 2)
        let after = try stats(map, period, now: t0 + 200 * h)
        #expect(after["rows"]?.array?.first?["dispatched"] == 1 && first["rows"]?.array?.first?["dispatched"] == 0)
        // A period not over, or a moment before the log's latest event, is never kept.
        let open = [("by", "grid"), ("from", CaseCoding.chinaTime(t0 - h)), ("to", CaseCoding.chinaTime(t0 + 900 * h))]
        _ = try stats(map, open, now: t0 + 200 * h)
        _ = try stats(map, period + [("asof", CaseCoding.chinaTime(t0 + 1))], now: t0 + 200 * h)
        #expect(levels.count == 2)
    }
}

extension JSONValue {
    /// The same answer with its `asof` as another moment's.
    fileprivate func replacing(asof ms: Int64) -> JSONValue {
        guard case .object(var o) = self else { return self }
        o["asof"] = .string(CaseCoding.chinaTime(ms))
        return .object(o)
    }
}
