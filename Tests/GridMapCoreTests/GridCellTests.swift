import Testing
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

/// The cell records on small synthetic grids whose vertices and edges sit on cell sides and
/// corners, where a split ray or a parity flip table would go wrong first: against GEOS's
/// `covers` on the same doubles, and, away from the boundaries, against an independent
/// exact integer test (winding number plus on-segment check).
@Suite struct GridCellTests {
    typealias P = (x: Int64, y: Int64)
    /// 109°E 24°N in 1e-7° units: coordinates stay exact through the degrees and back.
    static let base: P = (1_090_000_000, 240_000_000)

    /// Closed polygon covers p, by winding number, with points on the boundary included.
    static func covers(_ rings: [[P]], _ p: P) -> Bool {
        var winding = 0
        for ring in rings {
            for k in 0..<(ring.count - 1) {
                let a = ring[k], b = ring[k + 1]
                let side = (b.x - a.x) * (p.y - a.y) - (p.x - a.x) * (b.y - a.y)
                if side == 0 && min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y
                    && p.y <= max(a.y, b.y)
                {
                    return true
                }
                if a.y <= p.y {
                    if b.y > p.y && side > 0 { winding += 1 }
                } else if b.y <= p.y && side < 0 {
                    winding -= 1
                }
            }
        }
        return winding != 0
    }

    static func shape(_ rings: [[P]]) -> Shape {
        .polygon(rings.map { $0.map { Coordinate(Double(base.x + $0.x) / 1e7, Double(base.y + $0.y) / 1e7) } })
    }

    static func check(_ grids: [[[P]]], shift: Int, points: [P]) throws -> Int {
        let index = try GridIndex(polygons: grids.map(shape), cellShift: shift)
        #expect(index.cells.side == Int64(1) << Int64(shift))
        var covered = 0
        let coordinates =
            points.map { Coordinate(Double(base.x + $0.x) / 1e7, Double(base.y + $0.y) / 1e7) } + [
                Coordinate(.nan, 24), Coordinate(109, .infinity),
            ]
        var batch = [Int32](repeating: -2, count: coordinates.count)
        coordinates.withUnsafeBufferPointer { c in batch.withUnsafeMutableBufferPointer { index.locate(c, into: $0) } }
        #expect(batch.suffix(2) == [-1, -1])
        let geos = try GridGeometries(grids.map { Grid(id: "", name: "", communityID: "", streetID: "", households: 0,
                                                       population: 0, shape: shape($0), properties: JSONObject()) })
        for (p, (c, batched)) in zip(points, zip(coordinates, batch)) {
            let expected = try geos.covering(c).sorted()
            let lattice = grids.indices.filter { covers(grids[$0], p) }
            if expected != lattice {
                // Only a point on a lattice edge may differ: as doubles it lies a hair off it.
                #expect(lattice.count > expected.count && expected.allSatisfy(lattice.contains), "point \(p.x) \(p.y)")
            }
            #expect(index.coveringGrids(c) == expected, "point \(p.x) \(p.y), cells of \(1 << shift)")
            #expect(index.locate(c) == expected.first, "point \(p.x) \(p.y), cells of \(1 << shift)")
            #expect(batched == Int32(expected.first ?? -1), "batched, point \(p.x) \(p.y)")
            if !expected.isEmpty { covered += 1 }
        }
        return covered
    }

    /// A jittered quad mesh (some quads split into triangles), a square with a hole, and a
    /// grid filling the hole; every lattice point of the area is checked, for several cell sizes.
    @Test func everyLatticePointOfAMesh() throws {
        var random = TestRandom(seed: 3)
        let n = 8, step: Int64 = 24
        var v = [[P]]()
        for i in 0...n {
            v.append((0...n).map { j in
                let edge = i == 0 || j == 0 || i == n || j == n
                let jitter = { edge ? Int64(0) : Int64(random.int(-2...2)) * 4 }
                return (Int64(i) * step + jitter(), Int64(j) * step + jitter())
            })
        }
        var grids = [[[P]]]()
        for i in 0..<n { for j in 0..<n {
            let a = v[i][j], b = v[i + 1][j], c = v[i + 1][j + 1], d = v[i][j + 1]
            if (i + j) % 3 == 0 {
                grids.append([[a, b, c, a]]); grids.append([[a, c, d, a]])
            } else {
                grids.append([[a, b, c, d, a]])
            }
        } }
        grids.append([
            [(200, 0), (264, 0), (264, 64), (200, 64), (200, 0)],
            [(216, 16), (216, 48), (248, 48), (248, 16), (216, 16)],
        ])
        grids.append([[(216, 16), (248, 16), (248, 48), (216, 48), (216, 16)]])
        grids.shuffle(using: &random)  // ids no longer follow position

        var points = [P]()
        for x in Int64(-1)...270 { for y in Int64(-1)...194 { points.append((x, y)) } }
        for shift in [2, 3, 4, 5, 7] {
            let covered = try GridCellTests.check(grids, shift: shift, points: points)
            #expect(covered > 40_000)
        }
    }

    /// Long edges (the Int32 form of a record), vertices on cell corners, and rows where a
    /// far boundary flips the parity beyond a cell's east side.
    @Test func longEdgesAndCellSides() throws {
        let side: Int64 = 1 << 12
        let hub: P = (4 * side, 4 * side)
        let rim: [P] = [
            (0, 0), (9 * side, 3), (20 * side, 2 * side + 1), (20 * side, 12 * side), (11 * side, 20 * side - 7),
            (3, 13 * side), (0, 6 * side),
        ]
        var grids = [[[P]]]()
        for k in rim.indices { grids.append([[hub, rim[k], rim[(k + 1) % rim.count], hub]]) }
        // A comb whose teeth end on cell sides, inside the fan's far part.
        grids.append([
            [
                (12 * side, 8 * side), (18 * side, 8 * side), (18 * side, 9 * side), (17 * side, 9 * side),
                (16 * side, 10 * side + 5),
                (15 * side, 9 * side), (14 * side, 11 * side), (13 * side, 9 * side), (12 * side, 9 * side),
                (12 * side, 8 * side),
            ]
        ])

        var random = TestRandom(seed: 9)
        var points = [P]()
        for _ in 0..<40_000 {
            points.append((Int64(random.int(-10...Int(21 * side))), Int64(random.int(-10...Int(21 * side)))))
        }
        for _ in 0..<20_000 {  // on cell sides and corners
            let a = Int64(random.int(0...21)) * side, b = Int64(random.int(-2...Int(21 * side)))
            points.append(random.int(0...1) == 0 ? (a, b) : (b, a))
            points.append((a, Int64(random.int(0...21)) * side))
        }
        for ring in grids.flatMap({ $0 }) {
            for k in 0..<(ring.count - 1) {
                let a = ring[k], b = ring[k + 1]
                points.append(a)
                let g: Int64 = Self.commonDivisor(Swift.abs(b.x - a.x), Swift.abs(b.y - a.y))
                let every: Int64 = g / 40 + 1
                var t: Int64 = 1
                while t < g {  // lattice points on the edge
                    points.append((a.x + (b.x - a.x) / g * t, a.y + (b.y - a.y) / g * t))
                    t += every
                }
            }
        }
        let covered = try GridCellTests.check(grids, shift: 12, points: points)
        #expect(covered > 30_000)
        let index = try GridIndex(polygons: grids.map(GridCellTests.shape), cellShift: 12)
        let layout = index.layout()
        #expect(layout.wideSections > 10 && layout.wideSections < layout.sections, "both record forms are exercised")
    }

    static func commonDivisor(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? Swift.max(a, 1) : commonDivisor(b, a % b) }
}
