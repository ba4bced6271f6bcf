import Foundation
import Testing

@testable import GridMapCore
@testable import GridMapNetwork
import GridMapTestSupport

#if canImport(FoundationXML)
    import FoundationXML
#endif
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

/// A line across grid `g` through a point inside it, at `angle` radians.
func lineAcross(_ g: Grid, angle: Double = 0) throws -> Shape {
    let geos = ThreadResources.current.geos
    let c = try geos.geometry(g.shape).pointOnSurface().coordinate()
    let b = g.shape.bounds!
    let r = max(b.maxX - b.minX, b.maxY - b.minY) * 2
    return .lineString([
        Coordinate(c.x - r * cos(angle), c.y - r * sin(angle)),
        Coordinate(c.x + r * cos(angle), c.y + r * sin(angle)),
    ])
}

/// What keeps a map from being an exact coverage of its outline: edges not shared with the
/// same vertices, a union other than the outline, overlaps, invalid grids.
func coverageProblems(_ d: Dataset) throws -> [String] {
    var problems: [String] = []
    let geos = ThreadResources.current.geos
    let outline = try geos.geometry(d.outline)
    let unmatched = EdgeMatch(d.grids, outline: d.outline).unmatched
    problems += unmatched.keys.map { "edges of \(d.grids[$0].id) unmatched near \(unmatched[$0]!)" }
    let union = try geos.geometry(.multiPolygon(d.grids.flatMap(\.shape.polygons))).coverageUnion()
    let measurer = try ThreadResources.current.measurer()
    let gap = try measurer.area(try outline.symmetricDifference(union))
    if gap > 0.01 { problems.append("union differs from the outline by \(gap) m²") }
    let sum = try d.grids.reduce(0.0) { $0 + (try measurer.area($1.shape)) }
    let total = try measurer.area(union)
    if abs(sum - total) > 0.01 { problems.append("grids overlap: Σ \(sum) m² vs union \(total) m²") }
    for g in d.grids where !(try geos.geometry(g.shape).isValid) { problems.append("\(g.id) invalid") }
    return problems
}

/// The first stretch of boundary two grids share, as a line.
func sharedStretch(_ a: Grid, _ b: Grid) throws -> [Coordinate] {
    let geos = ThreadResources.current.geos
    let shared = try geos.geometry(a.shape).boundary().intersection(try geos.geometry(b.shape).boundary()).shape()
    return try geos.geometry(.multiLineString(shared.lineParts)).lineMerge().shape().lineParts
        .max { $0.count < $1.count }!
}

/// A new boundary between two grids that bulges `metres` from the middle of the stretch they
/// share, between its end points; with that middle point.
func boundaryBulge(_ a: Grid, _ b: Grid, metres: Double = 15) throws -> (line: Shape, middle: Coordinate) {
    let s = try sharedStretch(a, b)
    let mid = s[s.count / 2]
    let next = s[s.count / 2 + 1]
    let dx = next.x - mid.x
    let dy = next.y - mid.y
    let len = (dx * dx + dy * dy).squareRoot()
    let d = metres / 100_000
    return (.lineString([s.first!, Coordinate(mid.x - dy / len * d, mid.y + dx / len * d), s.last!]), mid)
}

/// One grid worker of each grid that has two or more: taking one leaves the grid staffed.
func spareWorkers(_ d: Dataset) -> [Resource] {
    let workers = d.resources.filter { $0.kind == "grid_worker" && $0.gridID != nil }
    let byGrid = Dictionary(grouping: workers, by: { $0.gridID! })
    return byGrid.keys.sorted().compactMap { byGrid[$0]!.count >= 2 ? byGrid[$0]!.last : nil }
}

/// A store, a planner and a draft on the committed data.
struct PlanningFixture {
    let store: any VersionedStore
    let planner: Planner
    let draft: Int
    var data: Dataset { StoreFixture.dataset }

    init(_ backend: StoreBackend = .sqlite) throws {
        store = try makeStore(backend).0
        planner = Planner(store: store)
        draft = try planner.open(name: "test", author: "planner").id
    }

    func map() throws -> PlanMap { try planner.load(draft).1 }
    func map(of id: Int) throws -> PlanMap { try planner.load(id).1 }
    func grid(_ id: String) throws -> Grid { try map().grid(id) }

    /// Two grids that share a boundary, of one community or not.
    func neighbours(sameCommunity: Bool = true) throws -> (Grid, Grid) {
        try adjacentPair(in: try map(), community: sameCommunity, street: sameCommunity ? true : nil)
    }
}

/// Two grids of `map` that share a boundary, in the same community (street) or not; nil: either.
func adjacentPair(in map: PlanMap, community: Bool, street: Bool? = nil) throws -> (Grid, Grid) {
    let geos = ThreadResources.current.geos
    for g in map.grids.keys.sorted().map({ map.grids[$0]! }) {
        for id in try map.neighbours(of: [g.id], geos) {
            let h = map.grids[id]!
            guard (h.communityID == g.communityID) == community,
                street.map({ (h.streetID == g.streetID) == $0 }) ?? true,
                try map.adjacent(try geos.geometry(g.shape), try geos.geometry(h.shape))
            else { continue }
            return (g, h)
        }
    }
    throw PlanError(.notAdjacent, "the test data has no such pair of neighbours")
}

@Suite struct PlanningTests {
    @Test func committedDataValidatesClean() throws {
        let report = try Validator.validate(StoreFixture.dataset.derivingShapes())
        #expect(report.findings.isEmpty, "\(report.findings.prefix(5).map(\.message))")
        #expect(try coverageProblems(StoreFixture.dataset).isEmpty)
    }

    @Test(arguments: StoreBackend.available)
    func splitCodesNamesFiguresAndStaff(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let g = f.data.grids[10]
        let result = try f.planner.apply(.split(grid: g.id, line: try lineAcross(g)), to: f.draft)
        let created = result["created"]!.array!.compactMap(\.string)
        #expect(created.count == 2)
        #expect(result["retired"]! == [.string(g.id)])
        // Next numbers after the community's highest, named by them.
        let highest = f.data.grids.filter { $0.communityID == g.communityID }.compactMap { Int($0.id.suffix(3)) }.max()!
        #expect(created == [1, 2].map { g.communityID + String(format: "%03d", highest + $0) })
        let map = try f.map()
        let pieces = try created.map { try map.grid($0) }
        #expect(pieces[0].name.hasPrefix(f.data.communities.first { $0.id == g.communityID }!.name + "第"))
        #expect(pieces.map(\.households).reduce(0, +) == g.households)
        #expect(pieces.map(\.population).reduce(0, +) == g.population)
        #expect(pieces.allSatisfy { $0.properties["estimated"] == "households,population" })
        #expect(try coverageProblems(try map.dataset()).isEmpty)
        // The grid's worker went to a piece; the other piece has none yet: validation says so.
        let report = try f.planner.validate(draft: f.draft)
        #expect(report.errors.map(\.rule) == ["no_grid_worker"])
        let worker = spareWorkers(f.data).first { $0.gridID != g.id }!
        let empty = try #require(report.errors.first?.grids.first)
        try f.planner.apply(.assign(resource: worker.id, grid: empty), to: f.draft)
        try f.planner.apply(.setAttribute(grid: empty, field: "households", value: "150"), to: f.draft)
        #expect(try f.grid(empty).properties["estimated"] == "population")
    }

    /// The draft's lists are made from the base's by replacing only what it touched: the same
    /// as sorting the whole map, for a base in id order and for one out of order.
    @Test func draftListsMergeTheTouchedIntoTheBase() throws {
        let base = (0..<200).map { String(format: "r%03d", $0 * 3) }
        var current = Dictionary(uniqueKeysWithValues: base.map { ($0, $0) })
        var random = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var touched = Set<String>()
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                let id = String(format: "r%03d", Int.random(in: 0..<600, using: &random))
                touched.insert(id)
                current[id] = Bool.random(using: &random) ? nil : id
            }
            let expected = current.keys.sorted().map { current[$0]! }
            #expect(PlanMap.merged(base, current, touched: touched, id: { $0 }) == expected)
            #expect(PlanMap.merged(base.shuffled(), current, touched: touched, id: { $0 }) == expected)
            current = Dictionary(uniqueKeysWithValues: base.map { ($0, $0) })
        }
    }

    /// A draft's staff by grid (the base's index with the draft's edits) is every resource whose
    /// assigned grid it is, after assignments, a split's reassignments and their undo.
    @Test(arguments: StoreBackend.available)
    func staffFollowsTheDraftsEdits(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        func check(_ map: PlanMap) {
            for g in map.grids.keys.sorted() {
                let scanned = map.resources.values.filter { $0.gridID == g }.map(\.id).sorted()
                #expect(map.staff(of: g).map(\.id) == scanned, "grid \(g)")
            }
        }
        let g = f.data.grids[10], other = f.data.grids[20]
        let worker = try #require(f.data.resources.first { $0.gridID == g.id })
        try f.planner.apply(.assign(resource: worker.id, grid: other.id), to: f.draft)
        check(try f.map())
        try f.planner.apply(.split(grid: other.id, line: try lineAcross(other)), to: f.draft)
        check(try f.map())
        _ = try f.planner.undo(draft: f.draft)
        check(try f.map())
    }

    /// The author a planner gives is recorded; none falls back to who signed in; a bad one is refused.
    @Test func authorsAreNamedOrSignedIn() throws {
        #expect(try Credentials.author(named: " 张规划 ", user: "planner") == "张规划")
        #expect(try Credentials.author(named: nil, user: "planner") == "planner")
        #expect(try Credentials.author(named: "  ", user: nil) == Credentials.anonymousAuthor)
        let long = String(repeating: "名", count: 101)
        #expect(throws: RequestError.self) { try Credentials.author(named: long, user: nil) }
        #expect(throws: RequestError.self) { try Credentials.author(named: "a\nb", user: nil) }
        #expect(throws: RequestError.self) { try Credentials.author(named: "a\u{202E}b", user: nil) }
        #expect(try Credentials.author(named: "张规划\n", user: nil) == "张规划")
    }

    @Test(arguments: StoreBackend.available)
    func undoRemovesTheLastOperationOnly(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let g = f.data.grids[10]
        func snapshot() throws -> [String: FeatureRow?] { try f.store.draftRows(f.draft).features[.grids] ?? [:] }
        #expect(throws: PlanError.self) { try f.planner.undo(draft: f.draft) }
        try f.planner.apply(.setAttribute(grid: g.id, field: "name", value: "改名一"), to: f.draft)
        let afterRename = try snapshot()
        let first = try f.planner.apply(.split(grid: g.id, line: try lineAcross(g)), to: f.draft)
        let afterSplit = try snapshot()
        let (a, b) = try f.neighbours()
        try f.planner.apply(.merge(grids: [a.id, b.id]), to: f.draft)
        #expect(try snapshot() != afterSplit)
        // Newest first: the merge, then the split (its pieces gone, the renamed grid back).
        let undone = try f.planner.undo(draft: f.draft)
        #expect(undone["undone"] == "merge" && undone["operations"] == 2)
        #expect(try snapshot() == afterSplit)
        _ = try f.planner.undo(draft: f.draft)
        #expect(try snapshot() == afterRename)
        #expect(try f.grid(g.id).name == "改名一")
        #expect(try coverageProblems(try f.map().dataset()).isEmpty)
        _ = try f.planner.undo(draft: f.draft)
        #expect(try snapshot().isEmpty)
        #expect(try f.planner.draft(f.draft).log.isEmpty)
        // The split again makes the same codes: undone pieces hold none.
        let again = try f.planner.apply(.split(grid: g.id, line: try lineAcross(g)), to: f.draft)
        #expect(again["created"]! == first["created"]!)
    }

    @Test(arguments: StoreBackend.available)
    func mergeKeepsTheLowestCodeAndAddsUp(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let (a, b) = try f.neighbours()
        let result = try f.planner.apply(.merge(grids: [b.id, a.id]), to: f.draft)
        let keep = min(a.id, b.id)
        #expect(result["retired"]! == [.string(max(a.id, b.id))])
        let merged = try f.grid(keep)
        #expect(merged.households == a.households + b.households)
        #expect(merged.properties["estimated"] == nil)
        #expect(
            try f.map().staff(of: keep).count
                == f.data.resources.filter { [a.id, b.id].contains($0.gridID ?? "") }.count)
        #expect(try coverageProblems(try f.map().dataset()).isEmpty)
    }

    @Test(arguments: StoreBackend.available)
    func moveBoundaryAndTransfer(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let (a, b) = try f.neighbours()
        // A new boundary bulging 15 m into one of them, between the same end points.
        let (line, mid) = try boundaryBulge(a, b)
        let measurer = try ThreadResources.current.measurer()
        let before = try measurer.area(a.shape) + measurer.area(b.shape)
        try f.planner.apply(.moveBoundary(grid: a.id, neighbour: b.id, line: line), to: f.draft)
        let a1 = try f.grid(a.id)
        let b1 = try f.grid(b.id)
        #expect(a1.shape != a.shape && b1.shape != b.shape)
        #expect(abs(try measurer.area(a1.shape) + measurer.area(b1.shape) - before) < 0.01)
        #expect(try coverageProblems(try f.map().dataset()).isEmpty)
        // A block of 30 m around a point of their boundary handed from b to a.
        let r = 0.00015
        let block = Shape.polygon([
            [
                Coordinate(mid.x - r, mid.y - r), Coordinate(mid.x + r, mid.y - r),
                Coordinate(mid.x + r, mid.y + r), Coordinate(mid.x - r, mid.y + r),
                Coordinate(mid.x - r, mid.y - r),
            ]
        ])
        do {
            try f.planner.apply(.transfer(area: block, sources: [b.id], target: a.id), to: f.draft)
            #expect(try measurer.area(try f.grid(b.id).shape) < measurer.area(b1.shape))
        } catch let e as PlanError {
            // The block may reach a third grid: that is refused by name.
            #expect(e.code == "covers_other")
        }
        #expect(try coverageProblems(try f.map().dataset()).isEmpty)
    }

    @Test(arguments: StoreBackend.available)
    func moveToAnotherCommunity(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let (g, other) = try f.neighbours(sameCommunity: false)
        let result = try f.planner.apply(.moveToCommunity(grid: g.id, community: other.communityID), to: f.draft)
        let code = try #require(result["created"]?.array?.first?.string)
        #expect(code.hasPrefix(other.communityID))
        let moved = try f.grid(code)
        #expect(moved.shape == g.shape && moved.streetID == other.streetID)
        #expect(try f.map().staff(of: code).count == f.data.resources.filter { $0.gridID == g.id }.count)
        let d = try f.map().dataset()
        let community = d.communities.first { $0.id == other.communityID }!
        #expect(community.properties["grid_count"]?.int == d.grids.filter { $0.communityID == community.id }.count)
        let report = try f.planner.validate(draft: f.draft)
        #expect(!report.errors.contains { $0.rule.hasPrefix("crosses") }, "\(report.errors.map(\.message))")
    }

    @Test(arguments: StoreBackend.available)
    func badOperationsGetSpecificErrorsAndChangeNothing(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let (a, b) = try f.neighbours()
        let (c, _) = try f.neighbours(sameCommunity: false)
        let far = f.data.grids.last {
            $0.communityID == a.communityID && $0.id != a.id && $0.id != b.id
                && !(try! f.map().neighbours(of: [a.id], ThreadResources.current.geos)).contains($0.id)
        }!
        let box = a.shape.bounds!
        let outside = Shape.lineString([
            Coordinate(box.minX - 1, box.minY - 1), Coordinate(box.minX - 0.9, box.minY - 1),
        ])
        let stretch = try sharedStretch(a, b)
        let cases: [(PlanOperation, String)] = [
            (.split(grid: a.id, line: outside), "not_crossing"),
            (.split(grid: "450203999999999", line: outside), "unknown_grid"),
            (.split(grid: a.id, line: .point(box.center)), "bad_line"),
            (.merge(grids: [a.id, far.id]), "not_adjacent"),
            (.merge(grids: [a.id]), "bad_merge"),
            (
                .merge(grids: [c.id, a.id].count == 2 && c.communityID != a.communityID ? [c.id, a.id] : [c.id]),
                c.communityID != a.communityID ? "not_same_community" : "bad_merge"
            ),
            (.moveBoundary(grid: a.id, neighbour: b.id, line: .lineString([box.center, stretch.last!])), "wrong_ends"),
            (.moveBoundary(grid: a.id, neighbour: far.id, line: .lineString(stretch)), "not_adjacent"),
            (.moveBoundary(grid: a.id, neighbour: b.id, line: .lineString(stretch)), "no_change"),
            (
                .transfer(
                    area: .polygon([
                        [
                            Coordinate(box.minX, box.minY), Coordinate(box.maxX, box.minY),
                            Coordinate(box.maxX, box.maxY), Coordinate(box.minX, box.minY),
                        ]
                    ]),
                    sources: [far.id], target: a.id), "not_neighbour"
            ),
            (
                .transfer(
                    area: .polygon([
                        [
                            Coordinate(100, 20), Coordinate(100.1, 20), Coordinate(100.1, 20.1),
                            Coordinate(100, 20),
                        ]
                    ]), sources: [b.id], target: a.id), "outside_district"
            ),
            (.transfer(area: a.shape, sources: [b.id], target: a.id), "empty_transfer"),
            (.moveToCommunity(grid: a.id, community: "450203999999"), "unknown_community"),
            (.moveToCommunity(grid: a.id, community: a.communityID), "same_community"),
            (.setAttribute(grid: a.id, field: "households", value: "-3"), "bad_value"),
            (.setAttribute(grid: a.id, field: "colour", value: "red"), "bad_field"),
            (.assign(resource: "nobody", grid: a.id), "unknown_resource"),
            (.assign(resource: f.data.resources.first { $0.kind == "camera" }!.id, grid: a.id), "not_staff"),
            (.replaceGrids(features: [], source: "empty.geojson"), "bad_layer"),
        ]
        let rowsBefore = try f.store.draftRows(f.draft)
        let logBefore = try f.planner.draft(f.draft).log.count
        for (op, code) in cases {
            do {
                try f.planner.apply(op, to: f.draft)
                Issue.record("\(op.name) \(code): accepted")
            } catch let e as PlanError {
                #expect(e.code == code, "\(op.json.serialized.prefix(200)): \(e)")
                #expect(!e.message.isEmpty)
            }
        }
        #expect(try f.store.draftRows(f.draft).isEmpty && rowsBefore.isEmpty)
        #expect(try f.planner.draft(f.draft).log.count == logBefore)
    }

    @Test(arguments: StoreBackend.available)
    func publishRebasesDisjointDraftsAndRefusesConflicts(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let (a, b) = try f.neighbours()
        let other = f.data.grids.first { $0.communityID != a.communityID }!
        let second = try f.planner.open(name: "second", author: "planner 2").id
        let third = try f.planner.open(name: "third", author: "planner 3").id
        try f.planner.apply(.setAttribute(grid: a.id, field: "name", value: "新名字"), to: f.draft)
        try f.planner.apply(.setAttribute(grid: other.id, field: "population", value: "999"), to: second)
        try f.planner.apply(.merge(grids: [a.id, b.id]), to: third)
        #expect(try f.planner.drafts().count == 3)
        let v2 = try f.planner.publish(draft: f.draft, author: "planner")
        #expect(v2.id == 2 && v2.changedGrids == [a.id])
        // Based on version 1, changing another grid: rebased onto version 2.
        let v3 = try f.planner.publish(draft: second, author: "planner 2")
        #expect(v3.id == 3 && v3.parent == 2)
        let now = try f.store.dataset(version: 3)
        #expect(now.grids.first { $0.id == a.id }!.name == "新名字")
        #expect(now.grids.first { $0.id == other.id }!.population == 999)
        // Changing grid a too: refused, naming it.
        #expect(throws: PlanError.self) { try f.planner.publish(draft: third, author: "planner 3") }
        do { _ = try f.planner.publish(draft: third, author: "planner 3") } catch let e as PlanError {
            #expect(e.code == "conflict" && e.ids.contains(a.id))
        }
        #expect(try f.planner.draft(f.draft).status == "published")
        #expect(try f.planner.drafts().map(\.id) == [third])
        try f.planner.discard(draft: third)
        #expect(try f.planner.drafts().isEmpty)
    }

    @Test(arguments: StoreBackend.available)
    func twoDraftsSplittingInOneCommunityBothPublish(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        // Two grids of one community whose neighbourhoods do not touch (a split changes its
        // neighbours too: they gain the new boundary's end points).
        let map = try f.map(), geos = ThreadResources.current.geos
        let g = f.data.grids[10]
        let near = Set(try map.neighbours(of: [g.id], geos) + [g.id])
        let candidates = try f.data.grids.filter { h in
            try h.communityID == g.communityID && !near.contains(h.id)
                && near.isDisjoint(with: map.neighbours(of: [h.id], geos))
        }
        let h = try #require(candidates.first)
        let second = try f.planner.open(name: "second", author: "planner 2").id
        let a = try f.planner.apply(.split(grid: g.id, line: try lineAcross(g)), to: f.draft)
        let b = try f.planner.apply(.split(grid: h.id, line: try lineAcross(h, angle: .pi / 2)), to: second)
        let codesA = Set(a["created"]!.array!.compactMap(\.string))
        let codesB = Set(b["created"]!.array!.compactMap(\.string))
        #expect(codesA.isDisjoint(with: codesB), "\(codesA) \(codesB)")
        // Staff for every new grid (different workers in the two drafts), then publish: the
        // second is rebased onto the first.
        var spares = spareWorkers(f.data).filter { $0.gridID != g.id && $0.gridID != h.id }
        for (draft, created) in [(f.draft, codesA), (second, codesB)] {
            for id in created.sorted() where try f.map(of: draft).staff(of: id).isEmpty {
                try f.planner.apply(.assign(resource: spares.removeFirst().id, grid: id), to: draft)
            }
        }
        let v2 = try f.planner.publish(draft: f.draft, author: "planner")
        let v3 = try f.planner.publish(draft: second, author: "planner 2")
        #expect(v2.id == 2 && v3.id == 3 && v3.parent == 2)
        let now = Set(try f.store.dataset(version: 3).grids.map(\.id))
        #expect(now.isSuperset(of: codesA.union(codesB)))
        #expect(!now.contains(g.id) && !now.contains(h.id))
    }

    @Test(arguments: StoreBackend.available)
    func staffAssignedSinceTheBaseIsAConflict(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let g = f.data.grids[10]
        try f.planner.apply(.split(grid: g.id, line: try lineAcross(g)), to: f.draft)
        // Meanwhile another draft assigns a worker to the grid being split, and publishes.
        let other = try f.planner.open(name: "staffing", author: "hr").id
        let worker = spareWorkers(f.data).first { $0.gridID != g.id }!
        try f.planner.apply(.assign(resource: worker.id, grid: g.id), to: other)
        _ = try f.planner.publish(draft: other, author: "hr")
        do {
            _ = try f.planner.publish(draft: f.draft, author: "planner")
            Issue.record("published over a worker assigned since")
        } catch let e as PlanError {
            #expect(e.code == "conflict" && e.ids.contains(worker.id), "\(e)")
        }
    }

    @Test func aMultipartGridIsNotSplit() throws {
        var map = PlanMap(base: StoreFixture.dataset)
        let g = StoreFixture.dataset.grids[20], box = StoreFixture.dataset.outline.bounds!
        let island = [
            Coordinate(box.maxX + 0.01, box.maxY + 0.01), Coordinate(box.maxX + 0.02, box.maxY + 0.01),
            Coordinate(box.maxX + 0.02, box.maxY + 0.02), Coordinate(box.maxX + 0.01, box.maxY + 0.01),
        ]
        map.put(grid: g.updating(shape: .multiPolygon(g.shape.polygons + [[island]])), id: g.id)
        let context = PlanContext(codes: GridCodes(everUsed: []), addresses: [])
        let refused = #expect(throws: PlanError.self) {
            _ = try map.apply(.split(grid: g.id, line: try lineAcross(g)), context: context)
        }
        #expect(refused?.code == "multipart_grid")
    }

    @Test(arguments: StoreBackend.available)
    func publishRefusesADraftWithErrors(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let g = f.data.grids[10]
        try f.planner.apply(.split(grid: g.id, line: try lineAcross(g)), to: f.draft)
        do {
            _ = try f.planner.publish(draft: f.draft, author: "planner")
            Issue.record("published with a grid without a worker")
        } catch let e as PlanError { #expect(e.code == "invalid") }
        #expect(try f.store.head() == 1)
    }

    @Test(arguments: StoreBackend.available)
    func impactReportCountsAddressesResidentsAndDrawsThem(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let g = f.data.grids[10]
        try f.planner.apply(.split(grid: g.id, line: try lineAcross(g)), to: f.draft)
        let report = try f.planner.impact(draft: f.draft)
        let inGrid = try Fixtures.snapshot.addresses().filter { $0.gridID == g.id }.count
        #expect(report.retired == [g.id] && report.created.count == 2)
        #expect(report.movedAddresses.count == inGrid)
        #expect(report.residentsMoved == g.population)
        let created = report.grids.filter { $0.status == "created" }
        #expect(created.map { $0.after!.addresses }.reduce(0, +) == inGrid)
        #expect(created.allSatisfy { $0.figures.hasPrefix("estimated") })
        #expect(report.json["codes_retired"]! == [.string(g.id)])
        #expect(report.table.contains(g.id) && report.table.contains("addresses moving: \(inGrid)"))
        let svg = report.svg
        #expect(svg.contains("调整前边界") && svg.contains(report.grids[0].name.isEmpty ? "<svg" : "<svg"))
        #expect(svg.components(separatedBy: "<circle").count - 1 == inGrid + 1)
        let parsed = XMLParser(data: Data(svg.utf8))
        #expect(parsed.parse(), "the SVG is well-formed XML")
        if let png = run("rsvg-convert", ["--version"]), !png.isEmpty {
            let path = Scratch.directory + "/impact.svg"
            try svg.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(run("rsvg-convert", ["-o", path + ".png", path]) != nil)
            #expect(FileManager.default.fileExists(atPath: path + ".png"))
        }
    }

    @Test(arguments: StoreBackend.available)
    func qgisRoundTripThroughGeoPackageAndGeoJSON(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let gpkg = Scratch.directory + "/draft-\(UUID().uuidString).gpkg"
        try f.planner.export(draft: f.draft, to: gpkg)
        // Read back unedited: nothing changes.
        var result = try f.planner.apply(
            .replaceGrids(features: try Planner.gridFeatures(at: gpkg), source: gpkg),
            to: f.draft)
        #expect(result["added"]! == [] && result["removed"]! == [] && result["changed"]! == [])
        // Edited as QGIS would, by GDAL: one grid's name and households.
        let g = f.data.grids[3]
        _ = try #require(
            run(
                "ogrinfo",
                [
                    "-q", "-dialect", "SQLite", "-sql",
                    "UPDATE grids SET name = '改名网格', households = 123 WHERE id = '\(g.id)'", gpkg,
                ]),
            "ogrinfo (gdal-bin) must be installed")
        result = try f.planner.apply(
            .replaceGrids(features: try Planner.gridFeatures(at: gpkg), source: gpkg), to: f.draft)
        #expect(result["changed"]!.array!.count == 1)
        #expect(result["changed"]!.array![0]["attributes"] == ["households", "name"])
        #expect(result["changed"]!.array![0]["geometry"] == false)
        #expect(try f.grid(g.id).name == "改名网格")
        // GeoJSON both ways: exact coordinates, nothing changes.
        let json = Scratch.directory + "/draft-\(UUID().uuidString).geojson"
        try f.planner.export(draft: f.draft, to: json)
        result = try f.planner.apply(
            .replaceGrids(features: try Planner.gridFeatures(at: json), source: json), to: f.draft)
        #expect(result["changed"]! == [] && result["added"]! == [])
    }
}
