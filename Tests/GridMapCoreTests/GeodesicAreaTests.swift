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

/// Areas on the ellipsoid, right anywhere: a lon/lat box's area has a closed form (the
/// authalic band), which the measure must match far from Liuzhou's projection zone too.
@Suite struct GeodesicAreaTests {
    static func box(_ lon0: Double, _ lat0: Double, _ lon1: Double, _ lat1: Double) -> Double {
        let a = 6378137.0, f = 1 / 298.257223563
        let e2 = f * (2 - f), e = e2.squareRoot(), b2 = (a * (1 - f)) * (a * (1 - f))
        func q(_ lat: Double) -> Double {
            let s = sin(lat * .pi / 180)
            return s / (1 - e2 * s * s) + log((1 + e * s) / (1 - e * s)) / (2 * e)
        }
        return b2 / 2 * ((lon1 - lon0) * .pi / 180) * (q(lat1) - q(lat0))
    }

    @Test(arguments: [(0.0, 0.0, 10.0, 10.0), (0, 0, 20, 20), (100, 60, 140, 80), (-75, -50, -60, -30),
                      (109.4, 24.2, 109.5, 24.3), (109.43, 24.30, 109.4301, 24.3001)])
    func boxesMatchTheClosedForm(_ b: (Double, Double, Double, Double)) {
        let ring = [Coordinate(b.0, b.1), Coordinate(b.2, b.1), Coordinate(b.2, b.3), Coordinate(b.0, b.3),
                    Coordinate(b.0, b.1)]
        let want = Self.box(b.0, b.1, b.2, b.3)
        let got = Metric.area(.polygon([ring]))
        #expect(abs(got / want - 1) < 1e-5, "\(b): \(got) vs \(want)")
        // Orientation does not matter, and a hole is taken off.
        #expect(abs(Metric.area(.polygon([ring.reversed()])) / want - 1) < 1e-5)
    }

    @Test func holesAndMultiPolygons() {
        let outer = [Coordinate(0, 0), Coordinate(2, 0), Coordinate(2, 2), Coordinate(0, 2), Coordinate(0, 0)]
        let hole = [Coordinate(0.5, 0.5), Coordinate(1.5, 0.5), Coordinate(1.5, 1.5), Coordinate(0.5, 1.5),
                    Coordinate(0.5, 0.5)]
        let withHole = Metric.area(.polygon([outer, hole]))
        #expect(abs(withHole - (Self.box(0, 0, 2, 2) - Self.box(0.5, 0.5, 1.5, 1.5))) / withHole < 1e-5)
        let two = Metric.area(.multiPolygon([[outer], [hole.map { Coordinate($0.x + 10, $0.y) }]]))
        #expect(abs(two - (Self.box(0, 0, 2, 2) + Self.box(10.5, 0.5, 11.5, 1.5))) / two < 1e-5)
        #expect(Metric.area(.point(Coordinate(1, 1))) == 0)
    }

    /// Near Liuzhou the projection the measurer used before agrees (its scale error < 0.04%).
    @Test func gridsAgreeWithTheLocalProjection() throws {
        let m = try MetricMeasurer()
        for g in Fixtures.dataset.grids.prefix(50) {
            let projected = try m.context.geometry(try m.project(g.shape)).area()
            #expect(abs(Metric.area(g.shape) / projected - 1) < 0.001)
        }
    }
}
