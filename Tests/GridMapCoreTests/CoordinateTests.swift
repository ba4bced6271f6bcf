import Testing
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

@Suite struct CoordinateTests {
    @Test func gcj02PublishedVectors() {
        let a = ChinaOffsets.wgs84ToGCJ02(Coordinate(121.5272106, 31.1774276))
        #expect(abs(a.x - 121.531541859215) < 1e-9 && abs(a.y - 31.17530398364597) < 1e-9)
        let b = ChinaOffsets.wgs84ToGCJ02(Coordinate(116.377817, 39.911954))
        #expect(abs(b.x - 116.38404722455657) < 1e-9 && abs(b.y - 39.91334545536069) < 1e-9)
        let c = ChinaOffsets.gcj02ToBD09(Coordinate(116.404, 39.915))
        #expect(abs(c.x - 116.41036949371029) < 1e-9 && abs(c.y - 39.92133699351021) < 1e-9)
        // Outside China GCJ-02 is WGS 84.
        #expect(ChinaOffsets.wgs84ToGCJ02(Coordinate(2.35, 48.85)) == Coordinate(2.35, 48.85))
    }

    @Test func inversesAreBetterThanOneCentimetreNearLiuzhou() {
        var worst = (gcj: 0.0, bd: 0.0)
        for i in 0..<40 { for j in 0..<40 {
            let w = Coordinate(109.3 + 0.5 * Double(i) / 39, 24.1 + 0.5 * Double(j) / 39)
            worst.gcj = max(worst.gcj, Metric.distance(w, ChinaOffsets.gcj02ToWGS84(ChinaOffsets.wgs84ToGCJ02(w))))
            worst.bd = max(worst.bd, Metric.distance(w, ChinaOffsets.bd09ToWGS84(ChinaOffsets.wgs84ToBD09(w))))
        } }
        #expect(worst.gcj < 0.01)
        #expect(worst.bd < 0.01)
        // The offset itself is hundreds of metres: the inverse is not the identity.
        let w = Coordinate(109.43, 24.3)
        #expect(Metric.distance(w, ChinaOffsets.wgs84ToGCJ02(w)) > 100)
    }

    @Test func convertsThroughProjForEPSGCodes() throws {
        let conv = CoordinateConverter()
        let w = Coordinate(109.43, 24.3)
        let gk = try conv.convert(w, from: .wgs84, to: .epsg(4545))
        let back = try conv.convert(gk, from: .epsg(4545), to: .wgs84)
        #expect(Metric.distance(w, back) < 0.001)
        let cgcs = try conv.convert(w, from: .wgs84, to: .cgcs2000)
        #expect(Metric.distance(w, cgcs) < 1)
        #expect(try CRS(parsing: "EPSG:4545") == .epsg(4545))
        #expect(try CRS(parsing: "GCJ02") == .gcj02)
        #expect(try CRS(parsing: "epsg:4326") == .wgs84)
    }

    /// A thread's PROJ context is freed when idle and made again when next needed; PROJ's
    /// process-wide caches are freed only when no context is alive.
    @Test func idlePROJContextsAreReleasedAndRemade() throws {
        let here = ThreadResources.current  // a synchronous test stays on one thread
        let gk = Coordinate(500_000, 2_700_000)
        let before = try here.converter.toWGS84(gk, from: .epsg(4545))
        #expect(here.isReady(forCRSNamed: "EPSG:4545"))
        #expect(ThreadResources.projContexts >= 1)
        #expect(ProjContext.releaseProcessCaches() == false, "a context is alive: PROJ's caches must stay")

        ThreadResources.releaseIdle(idleFor: 3600)
        #expect(here.isReady(forCRSNamed: "EPSG:4545"), "used just now: not idle")
        #expect(ThreadResources.releaseIdle(idleFor: 0) >= 1)
        #expect(!here.isReady(forCRSNamed: "EPSG:4545"), "released: the transformer is gone")
        #expect(here.isReady(forCRSNamed: "gcj02"), "built-in CRSs need no PROJ")

        let after = try here.converter.toWGS84(gk, from: .epsg(4545))
        #expect(after == before)
        #expect(here.isReady(forCRSNamed: "EPSG:4545"))
    }

    @Test func badInputIsRefusedWithAReason() {
        let conv = CoordinateConverter()
        #expect { try CRS(parsing: "mercator") } throws: { "\($0)".contains("unknown CRS") }
        #expect { try CRS(parsing: "EPSG:999999") } throws: { "\($0)".contains("EPSG:999999") }
        #expect { try conv.toWGS84(Coordinate(200, 24), from: .wgs84) } throws: { "\($0)".contains("longitude") }
        #expect { try conv.toWGS84(Coordinate(109, -95), from: .gcj02) } throws: { "\($0)".contains("latitude") }
        #expect { try conv.toWGS84(Coordinate(.nan, 24), from: .epsg(4545)) } throws: { "\($0)".contains("finite") }
    }

    @Test func localDistanceMatchesTheGeodesic() {
        let a = Coordinate(109.41, 24.21)
        for b in [Coordinate(109.71, 24.57), Coordinate(109.42, 24.215), Coordinate(109.6, 24.21)] {
            let geodesic = Metric.geodesicDistance(a, b)
            #expect(abs(Metric.distance(a, b) / geodesic - 1) < 1e-4)
        }
    }
}
