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

/// One deliberately broken draft per validation rule, each caught with the right finding.
@Suite struct ValidationRuleTests {
    let data = StoreFixture.dataset
    let geos = ThreadResources.current.geos

    /// Validates the committed data with `edit` made to a draft of it.
    func broken(_ edit: (inout PlanMap) throws -> Void) throws -> ValidationReport {
        var map = PlanMap(base: data)
        try edit(&map)
        return try Validator.validate(try map.dataset(), base: map.base)
    }

    func context() -> PlanContext {
        PlanContext(codes: GridCodes(everUsed: Set(data.grids.map(\.id))), addresses: data.addresses.map(\.location))
    }

    func pair(community same: Bool, street sameStreet: Bool = true) throws -> (Grid, Grid) {
        try adjacentPair(in: PlanMap(base: data), community: same, street: sameStreet)
    }

    func angle(_ ring: [Coordinate], _ k: Int) -> Double {
        let a = ring[k - 1]
        let v = ring[k]
        let b = ring[k + 1]
        let u = (a.x - v.x, a.y - v.y)
        let w = (b.x - v.x, b.y - v.y)
        return acos(
            (u.0 * w.0 + u.1 * w.1) / ((u.0 * u.0 + u.1 * u.1).squareRoot() * (w.0 * w.0 + w.1 * w.1).squareRoot()))
    }

    func finding(_ report: ValidationReport, _ rule: String) -> Finding? { report.findings.first { $0.rule == rule } }

    @Test func invalidPolygon() throws {
        let g = data.grids[5]
        let report = try broken { map in
            guard case .polygon(var rings) = g.shape.simplestPolygonal else { return }
            rings[0].swapAt(1, 2)  // a bow-tie
            map.put(grid: g.updating(shape: .polygon(rings)), id: g.id)
        }
        let f = try #require(finding(report, "invalid_polygon"))
        #expect(f.grids == [g.id] && f.severity == .error && f.location != nil)
        #expect(!report.isPublishable)
    }

    @Test func overlapWithItsArea() throws {
        let (a, b) = try pair(community: true)
        let report = try broken { map in
            let grown = try geos.geometry(a.shape).union(try geos.geometry(b.shape)).shape()
            map.put(grid: a.updating(shape: grown), id: a.id)
        }
        let f = try #require(finding(report, "overlap"))
        let area = try ThreadResources.current.measurer().area(b.shape)
        #expect(f.grids == [a.id, b.id].sorted())
        #expect(abs(f.areaM2! - area) < 1, "\(f.areaM2!) vs \(area)")
    }

    @Test func gapAndHole() throws {
        let g = data.grids[40]
        let c = try geos.geometry(g.shape).pointOnSurface().coordinate()
        let r = 0.0001  // about 10 m
        let hole = [
            Coordinate(c.x - r, c.y - r), Coordinate(c.x - r, c.y + r), Coordinate(c.x + r, c.y + r),
            Coordinate(c.x + r, c.y - r), Coordinate(c.x - r, c.y - r),
        ]
        let report = try broken { map in
            map.put(grid: g.updating(shape: .polygon(g.shape.polygons[0] + [hole])), id: g.id)
        }
        let gap = try #require(finding(report, "gap"))
        #expect(gap.grids == [g.id] && gap.severity == .error)
        let expected = try ThreadResources.current.measurer().area(.polygon([hole.reversed()]))
        #expect(abs(gap.areaM2! - expected) < 0.5)
        #expect(abs(gap.location!.x - c.x) < r && abs(gap.location!.y - c.y) < r)
        #expect(finding(report, "holes")?.severity == .warning)
    }

    @Test func outsideTheDistrictAndMultipart() throws {
        let g = data.grids[7]
        let box = data.outline.bounds!
        let island = [
            Coordinate(box.maxX + 0.01, box.maxY + 0.01), Coordinate(box.maxX + 0.02, box.maxY + 0.01),
            Coordinate(box.maxX + 0.02, box.maxY + 0.02), Coordinate(box.maxX + 0.01, box.maxY + 0.01),
        ]
        let report = try broken { map in
            map.put(grid: g.updating(shape: .multiPolygon(g.shape.polygons + [[island]])), id: g.id)
        }
        #expect(finding(report, "outside_district")?.grids == [g.id])
        #expect(finding(report, "outside_district")!.areaM2! > 100_000)
        #expect(finding(report, "multipart")?.severity == .warning)
    }

    @Test func crossingCommunityAndStreet() throws {
        let (a, b) = try pair(community: false, street: false)
        let report = try broken { map in
            _ = try map.apply(
                .moveBoundary(grid: a.id, neighbour: b.id, line: try boundaryBulge(a, b, metres: 20).line),
                context: context())
        }
        let community = try #require(finding(report, "crosses_community"))
        #expect(community.areaM2! > 10)
        #expect(finding(report, "crosses_street")?.grids == community.grids)
        // Inside one community the same edit is clean.
        let (c, d) = try pair(community: true)
        let clean = try broken { map in
            let line = try boundaryBulge(c, d).line
            _ = try map.apply(.moveBoundary(grid: c.id, neighbour: d.id, line: line), context: context())
        }
        #expect(clean.errors.isEmpty, "\(clean.errors.map(\.message))")
    }

    @Test func sliverCutOffACorner() throws {
        // A split line 2 m from a corner cuts off a few square metres.
        let g = data.grids[60]
        guard case .polygon(let rings) = g.shape.simplestPolygonal else { return }
        // The sharpest convex corner (rings run counter-clockwise).
        let ring = rings[0].orientedRing
        let k = (1..<(ring.count - 1)).filter { k in
            let a = ring[k - 1]
            let v = ring[k]
            let b = ring[k + 1]
            return (v.x - a.x) * (b.y - v.y) - (v.y - a.y) * (b.x - v.x) > 0
        }.min { angle(ring, $0) < angle(ring, $1) }!
        let v = ring[k]
        let p = ring[k - 1]
        let n = ring[k + 1]
        func toward(_ q: Coordinate, _ metres: Double) -> Coordinate {
            let d = Metric.distance(v, q)
            return Coordinate(v.x + (q.x - v.x) * metres / d, v.y + (q.y - v.y) * metres / d)
        }
        let a = toward(p, 3)
        let b = toward(n, 3)
        let line = Shape.lineString([
            Coordinate(2 * a.x - b.x, 2 * a.y - b.y), Coordinate(2 * b.x - a.x, 2 * b.y - a.y),
        ])
        // The operation refuses it …
        var map = PlanMap(base: data)
        let refused = #expect(throws: PlanError.self) {
            _ = try map.apply(.split(grid: g.id, line: line), context: context())
        }
        #expect(refused?.code == "sliver")
        // … and validation catches it where an operation with a lower limit (or QGIS) made it.
        var lax = context()
        lax.minimumArea = 0
        let report = try broken { map in _ = try map.apply(.split(grid: g.id, line: line), context: lax) }
        let f = try #require(finding(report, "sliver"))
        #expect(f.areaM2! < 50 && f.areaM2! > 0)
    }

    @Test func codes() throws {
        let g = data.grids[2]
        let other = data.communities.first { $0.id != g.communityID }!
        let malformed = try broken { map in
            map.put(grid: nil, id: g.id)
            map.put(grid: try g.updating(["id": "G-12"]), id: "G-12")
        }
        #expect(finding(malformed, "code_malformed")?.grids == ["G-12"])
        let elsewhere = other.id + "999"
        let misplaced = try broken { map in
            map.put(grid: nil, id: g.id)
            map.put(grid: try g.updating(["id": .string(elsewhere)]), id: elsewhere)
        }
        #expect(finding(misplaced, "code_not_in_community")?.grids == [elsewhere])
        var twice = data
        twice.grids.append(data.grids[2])
        let duplicated = try Validator.validate(twice)
        #expect(finding(duplicated, "code_duplicated")?.grids == [g.id])
    }

    @Test func streetMismatch() throws {
        let g = data.grids[2]
        let street = data.streets.first { $0.id != g.streetID }!
        let report = try broken { map in map.put(grid: try g.updating(["street_id": .string(street.id)]), id: g.id) }
        #expect(finding(report, "street_mismatch")?.grids == [g.id])
    }

    @Test func staffRules() throws {
        let g = data.grids[9]
        let report = try broken { map in
            for r in map.staff(of: g.id) { map.put(resource: r.assigned(to: nil), id: r.id) }
            let w = map.resources.values.filter { $0.kind == "enforcement" }.min { $0.id < $1.id }!
            map.put(resource: w.assigned(to: "450203001001999"), id: w.id)
        }
        #expect(finding(report, "no_grid_worker")?.grids == [g.id])
        #expect(finding(report, "staff_unknown_grid")?.grids == ["450203001001999"])
    }

    @Test func householdsOutOfRange() throws {
        let g = data.grids[9]
        let report = try broken { map in map.put(grid: try g.updating(["households": 5]), id: g.id) }
        let f = try #require(finding(report, "households_range"))
        #expect(f.severity == .warning && f.grids == [g.id])
        #expect(report.isPublishable)
    }

    @Test func verticesThatDifferOnTheTwoSides() throws {
        let (a, b) = try pair(community: true)
        let s = try sharedStretch(a, b)
        let mid = Coordinate((s[0].x + s[1].x) / 2, (s[0].y + s[1].y) / 2)
        let report = try broken { map in
            guard case .polygon(var rings) = a.shape.simplestPolygonal else { return }
            let ring = rings[0]
            guard
                let k = ring.indices.dropLast().first(where: {
                    (ring[$0] == s[0] && ring[$0 + 1] == s[1]) || (ring[$0] == s[1] && ring[$0 + 1] == s[0])
                })
            else { return }
            rings[0].insert(mid, at: k + 1)
            map.put(grid: a.updating(shape: .polygon(rings)), id: a.id)
        }
        let f = try #require(finding(report, "unmatched_vertices"))
        #expect(Set(f.grids).isSubset(of: [a.id, b.id]) && f.severity == .warning)
        #expect(report.errors.isEmpty, "\(report.errors.map(\.message))")
    }
}

extension Array where Element == Coordinate {
    /// An exterior ring counter-clockwise.
    var orientedRing: [Coordinate] {
        guard case .polygon(let rings) = Shape.polygon([self]).orientedForGeoJSON else { return self }
        return rings[0]
    }
}
