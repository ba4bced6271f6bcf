import Testing
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

@Suite struct ResourceIndexTests {
    let snapshot = Fixtures.snapshot

    func scan(_ q: Coordinate, kind: String?) -> [ResourceIndex.Hit] {
        snapshot.dataset.resources.indices
            .filter { kind == nil || snapshot.dataset.resources[$0].kind == kind }
            .map {
                ResourceIndex.Hit(resource: $0, distance: Metric.distance(q, snapshot.dataset.resources[$0].location))
            }
            .sorted {
                $0.distance != $1.distance
                    ? $0.distance < $1.distance
                    : snapshot.dataset.resources[$0.resource].id < snapshot.dataset.resources[$1.resource].id
            }
    }

    @Test func nearestAndRadiusMatchABruteForceScan() {
        let box = snapshot.dataset.outline.bounds!
        var random = TestRandom(seed: 3)
        for i in 0..<400 {
            let q = Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY))
            let kind: String? = [nil, "grid_worker", "enforcement", "camera"][i % 4]
            let all = scan(q, kind: kind)
            #expect(snapshot.resources.nearest(to: q, k: 5, kind: kind) == Array(all.prefix(5)))
            #expect(snapshot.resources.within(500, of: q, kind: kind) == all.filter { $0.distance <= 500 })
            #expect(
                snapshot.resources.nearest(to: q, k: 3, kind: kind, within: 800)
                    == Array(all.filter { $0.distance <= 800 }.prefix(3)))
        }
    }

    @Test func tiesAreBrokenByID() {
        let here = Coordinate(109.43, 24.3)
        let index = ResourceIndex(locations: [here, here, here], kinds: ["a", "a", "a"], ids: ["r3", "r1", "r2"])
        #expect(index.nearest(to: here, k: 2).map(\.resource) == [1, 2])
        #expect(index.within(1, of: here).map(\.resource) == [1, 2, 0])
    }

    @Test func distancesAreGeodesicWithinATenthOfAPercent() {
        let q = Coordinate(109.45, 24.3)
        for hit in snapshot.resources.nearest(to: q, k: 50) {
            let geodesic = Metric.geodesicDistance(q, snapshot.dataset.resources[hit.resource].location)
            #expect(abs(hit.distance - geodesic) <= 0.001 * geodesic + 0.01)
        }
    }
}
