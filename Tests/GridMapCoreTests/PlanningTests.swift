import Foundation
import Testing
@testable import GridMapCore

/// A line across grid `id` through a point inside it, at `angle` radians.
func lineAcross(_ g: Grid, angle: Double = 0) throws -> Shape {
    let geos = ThreadResources.current.geos
    let c = try geos.geometry(g.shape).pointOnSurface().coordinate()
    let b = g.shape.bounds!
    let r = max(b.maxX - b.minX, b.maxY - b.minY) * 2
    return .lineString([Coordinate(c.x - r * cos(angle), c.y - r * sin(angle)),
                        Coordinate(c.x + r * cos(angle), c.y + r * sin(angle))])
}

/// Whether the grids form an exact coverage of the outline: every edge off the outline
/// shared by two grids with the same vertices, and their union equal to the outline.
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
    if abs(sum - total) > 0.01 * Double(d.grids.count) { problems.append("grids overlap: Σ \(sum) vs union \(total)") }
    for g in d.grids where !(try geos.geometry(g.shape).isValid) { problems.append("\(g.id) invalid") }
    return problems
}

@Suite struct PlanningTests {
    @Test func committedDataValidatesClean() throws {
        let report = try Validator.validate(StoreFixture.dataset.derivingShapes())
        #expect(report.findings.isEmpty, "\(report.findings.prefix(5).map(\.message))")
        print("validation of the committed data: \(report.milliseconds) ms")
    }

    @Test func splitValidateImpactPublish() throws {
        let (store, _) = try makeStore()
        let planner = Planner(store: store)
        let draft = try planner.open(name: "split a crowded grid", author: "planner")
        let g = StoreFixture.dataset.grids[10]
        let result = try planner.apply(.split(grid: g.id, line: try lineAcross(g)), to: draft.id)
        print(result.serialized)
        let created = result["created"]!.array!.compactMap(\.string)
        #expect(created.count >= 2)
        let (_, map, _) = try planner.load(draft.id)
        #expect(try coverageProblems(try map.dataset()).isEmpty)
        let report = try planner.validate(draft: draft.id)
        print(report.json.serialized.prefix(2000))
        let impact = try planner.impact(draft: draft.id)
        print(impact.table)
        try impact.svg.write(toFile: "/tmp/impact.svg", atomically: true, encoding: .utf8)
    }
}
