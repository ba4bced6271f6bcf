import Foundation
import Testing

@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

/// Long random sequences of planning operations on the Yufeng data keep the coverage exact
/// (every shared edge with the same vertices on both sides, union equal to the outline, no
/// overlap), refused operations change nothing, and LOCATE on the result agrees with GEOS.
@Suite struct PlanningPropertyTests {
    /// Random operations of every kind, on grids and lines the generator did not make.
    struct Proposer {
        var random: SeededRandom
        let geos = ThreadResources.current.geos

        mutating func op(on map: PlanMap) throws -> PlanOperation? {
            let ids = map.grids.keys.sorted()
            let g = try map.grid(random.pick(ids))
            let neighbours = try map.neighbours(of: [g.id], geos)
            let roll = random.unit()
            if roll < 0.2 {
                return .split(grid: g.id, line: try lineAcross(g, angle: random.uniform(0, .pi)))
            }
            guard let h = neighbours.isEmpty ? nil : random.pick(neighbours) else { return nil }
            let a = try geos.geometry(g.shape)
            let b = try geos.geometry(map.grids[h]!.shape)
            let stretches = try geos.geometry(
                .multiLineString(
                    try a.boundary().intersection(try b.boundary()).shape()
                        .lineParts)
            ).lineMerge().shape().lineParts.filter { $0.count >= 2 && $0.first != $0.last }
            if roll < 0.4 {
                let same = neighbours.filter { map.grids[$0]!.communityID == g.communityID }
                return same.isEmpty ? nil : .merge(grids: [g.id, random.pick(same)])
            }
            guard let stretch = stretches.isEmpty ? nil : random.pick(stretches) else { return nil }
            let mid = stretch[stretch.count / 2]
            let next = stretch[min(stretch.count - 1, stretch.count / 2 + 1)]
            let dx = next.x - mid.x
            let dy = next.y - mid.y
            let len = max(1e-12, (dx * dx + dy * dy).squareRoot())
            let offset = random.uniform(-0.0003, 0.0003)  // up to ~30 m either side
            let moved = Coordinate(mid.x - dy / len * offset, mid.y + dx / len * offset)
            if roll < 0.65 {
                return .moveBoundary(
                    grid: g.id, neighbour: h, line: .lineString([stretch.first!, moved, stretch.last!]))
            }
            if roll < 0.9 {
                let r = random.uniform(0.00005, 0.0004)
                let square = [
                    Coordinate(moved.x - r, moved.y - r), Coordinate(moved.x + r, moved.y - r),
                    Coordinate(moved.x + r, moved.y + r), Coordinate(moved.x - r, moved.y + r),
                    Coordinate(moved.x - r, moved.y - r),
                ]
                return .transfer(area: .polygon([square]), sources: [g.id], target: h)
            }
            if roll < 0.95 {
                let other = neighbours.map { map.grids[$0]! }.filter { $0.communityID != g.communityID }
                return other.isEmpty ? nil : .moveToCommunity(grid: g.id, community: random.pick(other).communityID)
            }
            return .setAttribute(grid: g.id, field: "households", value: String(random.int(50...500)))
        }
    }

    @Test func thousandOperationsKeepTheCoverageExact() throws {
        let base = StoreFixture.dataset
        var map = PlanMap(base: base)
        var context = PlanContext(
            codes: GridCodes(everUsed: Set(base.grids.map(\.id))),
            addresses: base.addresses.map(\.location))
        let seed = UInt64(ProcessInfo.processInfo.environment["PLAN_SEED"] ?? "") ?? 12
        var proposer = Proposer(random: SeededRandom(seed: seed))
        var done: [String: Int] = [:]
        var refused: [String: Int] = [:]
        var attempts = 0
        while done.values.reduce(0, +) < 1000 && attempts < 4000 {
            attempts += 1
            guard let op = try proposer.op(on: map) else { continue }
            let before = map.grids
            do {
                _ = try map.apply(op, context: context)
                done[op.name, default: 0] += 1
            } catch let e as PlanError {
                refused[e.code, default: 0] += 1
                #expect(map.grids == before, "a refused \(op.name) changed the map")
                continue
            }
            // Codes retired by this run are never handed out again.
            context.codes = GridCodes(everUsed: context.codes.everUsed.union(map.grids.keys))
            let current = map.grids.keys.sorted().map { map.grids[$0]! }
            let unmatched = EdgeMatch(current, outline: map.outline).unmatched
            guard unmatched.isEmpty else {
                let at = unmatched.map { "\(current[$0.key].id) \($0.value)" }.prefix(3)
                Issue.record(
                    "after \(op.name) #\(attempts) (\(op.json.serialized.prefix(300))): edges unmatched at \(at)")
                break
            }
            if done.values.reduce(0, +) % 250 == 0 {
                let problems = try coverageProblems(try map.dataset())
                #expect(problems.isEmpty, "after \(attempts) attempts: \(problems.prefix(3))")
                if !problems.isEmpty { break }
            }
        }
        print(
            "planning property test: \(attempts) attempts; done \(done.sorted { $0.key < $1.key }); "
                + "refused \(refused.sorted { $0.key < $1.key })")
        #expect(done.values.reduce(0, +) >= 1000)
        #expect(
            Set(done.keys).isSuperset(of: ["split", "merge", "move_boundary", "transfer", "move_community", "set"]))
        let final = try map.dataset()
        #expect(try coverageProblems(final).isEmpty)
        // LOCATE on the redrawn map agrees with GEOS.
        let index = try GridIndex(polygons: final.grids.map(\.shape))
        let brute = try GridGeometries(final.grids)
        var random = SeededRandom(seed: 7)
        let box = final.outline.bounds!
        for _ in 0..<3000 {
            let p = Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY))
            let covering = try brute.covering(p)
            if let k = index.locate(p) {
                #expect(covering.contains(k), "LOCATE \(p) gave \(final.grids[k].id), GEOS \(covering)")
            } else {
                #expect(covering.isEmpty, "LOCATE \(p) found nothing, GEOS \(covering)")
            }
        }
    }
}
