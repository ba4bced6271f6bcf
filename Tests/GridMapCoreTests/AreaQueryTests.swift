import Dispatch
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

@Suite struct AreaQueryTests {
    let snapshot = Fixtures.snapshot

    func square(_ c: Coordinate, metres: Double) -> Shape {
        let k = Metric.metresPerDegree(atLatitude: c.y)
        let hx = metres / 2 / k.lon, hy = metres / 2 / k.lat
        return .polygon([BoundingBox(minX: c.x - hx, minY: c.y - hy, maxX: c.x + hx, maxY: c.y + hy).ring])
    }

    @Test func overlapsMatchBruteForceAndAddUp() throws {
        let m = try MetricMeasurer()
        let geo = try GridGeometries(snapshot.dataset.grids)
        let geoMeasurer = try MetricMeasurer(context: geo.ctx)
        for address in snapshot.dataset.addresses.enumerated().filter({ $0.offset % 5000 == 17 }).map(\.element) {
            let area = square(address.location, metres: 1000)
            let overlaps = try snapshot.grids(intersecting: area, measurer: m)
            let query = try geo.ctx.geometry(area)
            var brute: [Int: Double] = [:]
            for (g, grid) in geo.geometries.enumerated() where try grid.intersects(query) {
                brute[g] = try geoMeasurer.area(try grid.intersection(query))
            }
            #expect(overlaps.map(\.grid) == brute.keys.sorted())
            for o in overlaps { #expect(abs(o.area - brute[o.grid]!) < 0.01) }
            // Inside the district the overlaps tile the square (1 km² to 0.1%).
            let total = overlaps.reduce(0) { $0 + $1.area }
            let inside = try geoMeasurer.area(try query.intersection(try geo.ctx.geometry(snapshot.dataset.outline)))
            #expect(abs(total - inside) / inside < 1e-3)
        }
    }

    @Test func circlesAndInvalidAreas() throws {
        let m = try MetricMeasurer()
        let c = snapshot.dataset.addresses[2000].location
        let circle = Snapshot.circle(center: c, radius: 300)
        #expect(abs(try m.area(circle) / (Double.pi * 300 * 300) - 1) < 0.003)
        let hits = try snapshot.grids(intersecting: circle, measurer: m)
        #expect(hits.contains { $0.grid == snapshot.locate(c) })
        let bowTie = Shape.polygon([
            [
                Coordinate(109.43, 24.30), Coordinate(109.44, 24.31), Coordinate(109.44, 24.30),
                Coordinate(109.43, 24.31), Coordinate(109.43, 24.30),
            ]
        ])
        #expect { try snapshot.grids(intersecting: bowTie, measurer: m) } throws: {
            "\($0)".contains("Self-intersection")
        }
        #expect { try snapshot.grids(intersecting: .point(c), measurer: m) } throws: { "\($0)".contains("Polygon") }
        let huge = Shape.polygon([
            [Coordinate(1e300, 0), Coordinate(1e300, 1), Coordinate(1e301, 1), Coordinate(1e300, 0)]
        ])
        #expect { try snapshot.grids(intersecting: huge, measurer: m) } throws: {
            "\($0)".contains("longitude/latitude")
        }
        // Boxes beyond the lon/lat ranges are clamped, not trapped on.
        #expect(
            snapshot.grids.candidates(in: BoundingBox(minX: -1e300, minY: -1e300, maxX: 1e300, maxY: 1e300)).count
                == snapshot.dataset.grids.count)
        #expect(snapshot.grids.candidates(in: BoundingBox(minX: .nan, minY: 0, maxX: 1, maxY: 1)).isEmpty)
    }

    @Test func neighboursAreSymmetricAndMatchBruteForce() throws {
        let ctx = GEOSContext()
        let geo = try GridGeometries(snapshot.dataset.grids)
        var lists: [Int: [Int]] = [:]
        for g in stride(from: 0, to: snapshot.dataset.grids.count, by: 37) {
            let found = try snapshot.neighbours(of: g, context: ctx)
            let brute = try geo.geometries.indices.filter { h in
                guard h != g else { return false }
                return try geo.geometries[g].relate(geo.geometries[h], pattern: "****1****")
            }
            #expect(found == brute)
            #expect(!found.isEmpty)
            lists[g] = found
            for h in found { #expect(try snapshot.neighbours(of: h, context: ctx).contains(g)) }
        }
    }

    @Test func gridsOfCommunitiesAndStreets() {
        for c in snapshot.dataset.communities {
            let grids = snapshot.grids(inCommunity: c.id)
            #expect(grids.count == c.properties["grid_count"]?.int)
            #expect(grids.allSatisfy { snapshot.dataset.grids[$0].id.hasPrefix(c.id) })
        }
        #expect(snapshot.dataset.streets.reduce(0) { $0 + snapshot.grids(inStreet: $1.id).count } == 674)
    }
}

@Suite struct SnapshotCellTests {
    /// Readers racing with publishes always get a whole version: every answer matches the
    /// precomputed answer of the version the reader held.
    @Test func publishingSwapsWholeVersions() throws {
        let v1 = Fixtures.snapshot
        var shifted = v1.dataset
        shifted.grids.removeAll { $0.streetID == "450203001" }   // a version without 天马街道's grids
        shifted.version = "v2"
        let v2 = try Snapshot(dataset: shifted)
        let box = v1.dataset.outline.bounds!
        var random = TestRandom(seed: 11)
        let points = (0..<2000).map { _ in
            Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY))
        }
        let expected = [
            v1.version: points.map { v1.locate($0).map { v1.dataset.grids[$0].id } },
            v2.version: points.map { v2.locate($0).map { v2.dataset.grids[$0].id } },
        ]
        #expect(expected[v1.version]! != expected[v2.version]!)
        let store = SnapshotCell(v1)
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            if worker == 0 {
                for k in 0..<200 { store.publish(k % 2 == 0 ? v2 : v1) }
                return
            }
            for round in 0..<200 {
                let s = store.current
                let i = (round * 7 + worker) % points.count
                let got = s.locate(points[i]).map { s.dataset.grids[$0].id }
                if got != expected[s.version]![i] { mismatches.withLock { $0 += 1 } }
            }
        }
        #expect(mismatches.withLock { $0 } == 0)
    }
}

import Synchronization
