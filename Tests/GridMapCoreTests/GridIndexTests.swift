import Dispatch
import Testing
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

@Suite struct GridIndexTests {
    let snapshot = Fixtures.snapshot

    /// The boundary rule, computed the slow way: smallest id among grids GEOS says cover it.
    func bruteForce(_ geo: GridGeometries, _ c: Coordinate) throws -> Int? { try geo.covering(c).min() }

    /// A publish updates the index only around the grids it changed; the result must be, byte
    /// for byte, the index a fresh build makes (small and large moves, one grid or several).
    @Test func anUpdatedIndexIsTheIndexBuiltAfresh() throws {
        var shapes = snapshot.dataset.grids.map(\.shape)
        var index = try GridIndex(polygons: shapes)
        var random = SeededRandom(seed: 11)
        for (round, reach) in [1e-6, 1e-3, 3e-3, 1e-6].enumerated() {
            let changed = (0...round).map { _ in random.int(0...(shapes.count - 1)) }
            for g in changed { shapes[g] = shapes[g].bumpedOutward(by: reach) }
            let edges = try GridEdges(polygons: shapes)
            // The update path, not the fallback to a fresh build, is what is being tested.
            #expect(GridCells.defaultShift(edges) == index.cells.shift && edges.originX == index.originX
                    && edges.width == index.width && edges.height == index.height)
            let updated = try GridIndex(polygons: shapes, updating: index, changed: changed)
            let fresh = try GridIndex(polygons: shapes)
            // Compared as booleans: on a failure, printing the arrays would be megabytes.
            let sameDirectory = updated.cells.directory == fresh.cells.directory
            let sameRecords = updated.cells.records == fresh.cells.records
            #expect(sameDirectory && sameRecords, "round \(round): grids \(changed) moved \(reach)°")
            index = updated
        }
    }

    @Test func matchesGEOSOnRandomPoints() throws {
        let geo = try GridGeometries(snapshot.dataset.grids)
        let box = snapshot.dataset.outline.bounds!
        var random = TestRandom(seed: 1)
        var inside = 0
        for _ in 0..<100_000 {
            let c = GridIndex.snap(
                Coordinate(
                    random.uniform(box.minX - 0.01, box.maxX + 0.01), random.uniform(box.minY - 0.01, box.maxY + 0.01)))
            let expected = try bruteForce(geo, c)
            let got = snapshot.locate(c)
            #expect(got == expected, "at \(c.x) \(c.y)")
            if got != nil { inside += 1 }
        }
        #expect(inside > 30_000)  // the district fills ~37% of its box
    }

    @Test func sharedVerticesAndEdgesGoToTheSmallestID() throws {
        let geo = try GridGeometries(snapshot.dataset.grids)
        var owners: [Coordinate: Set<Int>] = [:]
        for (g, grid) in snapshot.dataset.grids.enumerated() {
            for c in grid.shape.allCoordinates { owners[c, default: []].insert(g) }
        }
        let shared = owners.filter { $0.value.count >= 2 }.sorted { ($0.key.x, $0.key.y) < ($1.key.x, $1.key.y) }
        #expect(shared.count > 1000)
        var multi = 0
        for (c, grids) in shared.prefix(3000) {
            // Vertices are exact: GEOS and the index agree on which grids cover them.
            let covering = try geo.covering(c)
            #expect(Set(covering) == grids, "vertex \(c.x) \(c.y)")
            #expect(snapshot.locate(c) == grids.min())
            if grids.count >= 3 { multi += 1 }
        }
        #expect(multi > 10, "some vertices are shared by three or more grids")
        // Midpoints of shared edges that fall on the 1e-7° lattice. As doubles they lie a hair
        // off the edge's doubles, on one side or on it: the index answers what GEOS does.
        var edges = 0
        for grid in snapshot.dataset.grids.prefix(300) {
            let ring = grid.shape.polygons[0][0]
            for k in 0..<(ring.count - 1) {
                let a = GridIndex.units(ring[k]), b = GridIndex.units(ring[k + 1])
                guard (a.x + b.x) % 2 == 0, (a.y + b.y) % 2 == 0 else { continue }
                let mid = Coordinate(Double((a.x + b.x) / 2) / 1e7, Double((a.y + b.y) / 2) / 1e7)
                let sharing = try geo.near(mid, tolerance: 1e-10)
                guard sharing.count == 2 else { continue }
                edges += 1
                let covering = try geo.covering(mid).sorted()
                #expect(!covering.isEmpty && covering.allSatisfy(sharing.contains))
                #expect(snapshot.grids.coveringGrids(mid) == covering)
                #expect(snapshot.locate(mid) == covering.first)
            }
        }
        #expect(edges > 50)
    }

    @Test func concurrentLookupsMatchSingleThreaded() {
        let box = snapshot.dataset.outline.bounds!
        var random = TestRandom(seed: 7)
        let points = (0..<200_000).map { _ in
            Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY))
        }
        let single = points.map { snapshot.locate($0) }
        #expect(snapshot.locateMany(points) == single)
        let threads = 4
        let results = (0..<threads).map { _ in Box() }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            results[t].value = points.map { snapshot.locate($0) }
        }
        for r in results { #expect(r.value == single) }
    }

    @Test func locatesTheQueryNotJustTheBox() {
        #expect(snapshot.locate(Coordinate(109.0, 24.3)) == nil)   // west of the district
        #expect(snapshot.locate(Coordinate(.nan, 24.3)) == nil)
        let a = snapshot.dataset.addresses[0]
        #expect(snapshot.locate(a.location).map { snapshot.dataset.grids[$0].id } == a.gridID)
    }
}

/// One result slot per thread; each thread writes only its own.
final class Box: @unchecked Sendable {
    var value: [Int?] = []
}
