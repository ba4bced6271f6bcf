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

/// LOCATE against GEOS `covers` on a tessellation that tools/datagen did not make: a
/// jittered mesh of quads and triangles whose vertices are arbitrary doubles (off any
/// lattice), with a straight district edge and a straight vertical line of shared edges
/// where points lie exactly on boundaries. Queried at every vertex, on and a hair beside
/// every edge (by one ulp, and by fractions of the 1e-7° lattice), and at random points;
/// the geometry is first taken through gridmap's own exports (GeoJSON text and WKB).
@Suite struct ExactLocateTests {
    static func mesh() -> [Shape] {
        var random = SeededRandom(seed: 2024)
        let columns = 24, rows = 16, step = 0.0031
        let x0 = 109.412_345_678_91, y0 = 24.301_234_567_89
        var v = [[Coordinate]]()
        for i in 0...columns {
            var column = [Coordinate]()
            for j in 0...rows {
                var x = x0 + Double(i) * step + random.uniform(-0.3, 0.3) * step
                var y = y0 + Double(j) * step + random.uniform(-0.3, 0.3) * step
                if i == 9 { x = x0 + 9 * step + 0.000_123_456_7 }   // a vertical line of shared edges
                if j == 0 { y = y0 }                                 // a straight district edge
                if i == 0 || i == columns { x = x0 + Double(i) * step }
                if j == rows { y = y0 + Double(j) * step }
                column.append(Coordinate(x, y))
            }
            v.append(column)
        }
        var shapes = [Shape]()
        for i in 0..<columns {
            for j in 0..<rows {
                let a = v[i][j], b = v[i + 1][j], c = v[i + 1][j + 1], d = v[i][j + 1]
                if (i * 7 + j * 3) % 5 == 0 {
                    shapes.append(.polygon([[a, b, c, a]]))
                    shapes.append(.polygon([[a, c, d, a]]))
                } else {
                    shapes.append(.polygon([[a, b, c, d, a]]))
                }
            }
        }
        return shapes
    }

    @Test func locateAgreesWithGEOSCoversEverywhere() throws {
        let original = Self.mesh()
        // Through gridmap's exports: GeoJSON text (files) and WKB (the store, GeoPackage).
        let features = original.enumerated().map {
            Feature(id: String(format: "g%04d", $0), properties: JSONObject(), geometry: $1)
        }
        let shapes = try GeoJSON.features(fromText: GeoJSON.text(features)).map { $0.geometry! }
        #expect(shapes == original)
        #expect(try original.map { try WKB.decode(WKB.encode($0)) } == original)
        #expect(shapes.allSatisfy { $0.allCoordinates.contains { c in c.x * 1e7 != (c.x * 1e7).rounded() } })

        let index = try GridIndex(polygons: shapes)
        let geos = try GridGeometries(shapes.map { Grid(id: "", name: "", communityID: "", streetID: "", households: 0,
                                                        population: 0, shape: $0, properties: JSONObject()) })
        var points = [Coordinate]()
        var random = SeededRandom(seed: 99)
        for shape in shapes {
            let ring = shape.polygons[0][0]
            for k in 0..<(ring.count - 1) {
                let a = ring[k], b = ring[k + 1]
                points.append(a)
                points.append(Coordinate(a.x.nextUp, a.y))
                points.append(Coordinate(a.x, a.y.nextDown))
                let dx = b.x - a.x, dy = b.y - a.y, length = (dx * dx + dy * dy).squareRoot()
                for t in [1.0 / 3, 0.5, 0.7] {
                    let on = Coordinate(a.x + dx * t, a.y + dy * t)
                    points.append(on)
                    points.append(Coordinate(on.x.nextUp, on.y.nextUp))
                    points.append(Coordinate(on.x.nextDown, on.y))
                    for offset in [1e-9, 3e-8, 6e-8, 1e-7, 2e-7, -1e-9, -6e-8, -1.5e-7] {
                        points.append(Coordinate(on.x - dy / length * offset, on.y + dx / length * offset))
                    }
                }
            }
        }
        // Exactly on the vertical line of shared edges and on the district's straight edge.
        let lineX = 109.412_345_678_91 + 9 * 0.0031 + 0.000_123_456_7
        let y0 = 24.301_234_567_89
        for k in 0..<400 {
            points.append(Coordinate(lineX, y0 + 0.001 + Double(k) * 0.000_11))
            points.append(Coordinate(109.4125 + Double(k) * 0.000_17, y0))
        }
        let box = BoundingBox(points)!
        for _ in 0..<5000 {
            points.append(Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY)))
        }

        var batch = [Int32](repeating: -3, count: points.count)
        points.withUnsafeBufferPointer { p in batch.withUnsafeMutableBufferPointer { index.locate(p, into: $0) } }
        var onBoundaries = 0, mismatches = 0
        for (p, batched) in zip(points, batch) {
            let expected = try geos.covering(p).sorted()
            if expected.count > 1 { onBoundaries += 1 }
            let got = index.locate(p)
            if got != expected.first || Int(batched) != (expected.first ?? -1) || index.coveringGrids(p) != expected {
                mismatches += 1
                if mismatches <= 10 {
                    let found = String(describing: got)
                    let all = index.coveringGrids(p)
                    Issue.record("(\(p.x), \(p.y)): GEOS \(expected), locate \(found), batched \(batched), all \(all)")
                }
            }
        }
        print("exact locate: \(points.count) points, \(onBoundaries) on shared boundaries, "
              + "\(mismatches) disagreeing with GEOS")
        #expect(mismatches == 0)
        #expect(onBoundaries > 1000)
    }
}
