import Foundation
import GridMapTestSupport
import Testing

@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

/// One network: the departments, units and catalogue as data, in the store and in exports,
/// and ROUTE's unit exact against GEOS on unit layers the generator did not draw.
@Suite struct DepartmentUnitsTests {
    static let yufeng: Dataset = Fixtures.dataset

    @Test func theCommittedNetworkLoadsAndRoundTrips() throws {
        let d = Self.yufeng
        #expect(d.departments.count == 7 && d.categories.count == 60 && d.units.count >= 7)
        let staff = d.resources.filter { $0.kind == "enforcement" }
        #expect(staff.count == 157 && staff.allSatisfy { $0.properties["unit_id"]?.idText?.isEmpty == false })
        // Units' areas cross grid lines: some grid is split between two units of a department.
        let snapshot = try Snapshot(dataset: d)
        let geos = ThreadResources.current.geos
        var crossed = 0
        let precincts = try d.units.filter { $0.departmentID == "D04" }.map { try geos.geometry($0.shape) }
        for g in d.grids {
            let grid = try geos.geometry(g.shape)
            if try precincts.filter({ try $0.intersection(grid).area() > 1e-10 }).count > 1 { crossed += 1 }
        }
        #expect(crossed > 0, "no grid is shared by two police precincts")
        // The store keeps them, version by version; exports and GeoPackages carry them back.
        let path = Scratch.path("network") + ".gridmap"
        let store = try Stores.create(path, from: d, author: "t", message: "t")
        let stored = try store.dataset(version: 1)
        #expect(stored.departments == d.departments && stored.units.map(\.id) == d.units.map(\.id))
        #expect(stored.categories == d.categories)
        let gpkg = Scratch.path("network") + ".gpkg"
        try GeoPackage.write(stored, to: gpkg)
        let back = try GeoPackage.read(gpkg)
        #expect(back.departments.map(\.id) == d.departments.map(\.id) && back.categories.map(\.code) == d.categories.map(\.code))
        #expect(back.units.map(\.shape) == stored.units.map(\.shape))
        #expect(StoreContent(try back.derivingShapes()).changes(to: try store.content(version: 1)).isEmpty)
        let dir = Scratch.path("network-dir")
        try stored.write(directory: dir)
        let reread = try Dataset.load(directory: dir)
        #expect(reread.categories == d.categories && reread.units.map(\.shape) == stored.units.map(\.shape))
        #expect(snapshot.departmentUnits?.categories.count == 60)
    }

    @Test func aDistrictWithoutANetworkSaysSo() throws {
        var d = Self.yufeng
        (d.departments, d.units, d.categories) = ([], [], [])
        let s = try Snapshot(dataset: d)
        #expect(throws: RequestError.self) {
            try RouteRequest.route(s, Coordinate(109.431, 24.30), category: "0201", border: 15, receivedMs: 0)
        }
        do { _ = try RouteRequest.route(s, Coordinate(109.431, 24.30), category: "0201", border: 15, receivedMs: 0) }
        catch { #expect(error.errorCode == "no_network") }
    }

    /// Unit layers drawn here, not by the generator: star-shaped areas with vertices anywhere
    /// (no lattice), overlapping one another and leaving gaps. For every category and thousands
    /// of points — on edges, on vertices, a hair inside and outside, and at random — the unit
    /// ROUTE names is the lowest id among the units GEOS says `covers` the point, the covering
    /// set is GEOS's, and where none covers, the 属地 takes it.
    @Test func routesAreExactOnForeignUnitLayers() throws {
        var d = Self.yufeng
        var random = SeededRandom(seed: 24_07)
        let box = d.outline.bounds!
        var units: [ResponsibilityUnit] = []
        for dept in ["X1", "X2"] {
            for k in 0..<9 {
                let c = Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY))
                let n = random.int(5...14)
                var ring: [Coordinate] = (0..<n).map { i in
                    let a = Double(i) / Double(n) * 2 * .pi + random.uniform(0, 0.3)
                    let r = random.uniform(0.02, 0.07)
                    return Coordinate(c.x + r * cos(a), c.y + r * sin(a) * 0.9)
                }
                ring.append(ring[0])
                units.append(ResponsibilityUnit(id: "\(dept)U\(k)", name: "unit \(k)", departmentID: dept,
                                                dutyPhone: "110", shape: .polygon([ring]), properties: [:]))
            }
        }
        d.departments = ["X1", "X2"].map { Department(id: $0, name: $0, dutyPhone: nil, properties: [:]) }
        d.units = units.sorted { $0.id < $1.id }
        d.categories = [
            Category(code: "9001", name: "a", group: "g", departmentID: "X1", handler: .unit, timeLimitHours: 24,
                     keywords: [], properties: [:]),
            Category(code: "9002", name: "b", group: "g", departmentID: "X2", handler: .unit, timeLimitHours: 2,
                     keywords: [], properties: [:]),
            Category(code: "9003", name: "c", group: "g", departmentID: nil, handler: .community,
                     timeLimitHours: 72, keywords: [], properties: [:]),
        ]
        let s = try Snapshot(dataset: d)
        let geos = ThreadResources.current.geos
        let geometries = try d.units.map { try geos.geometry($0.shape) }
        // Points on every edge and vertex, a hair either side, and at random.
        var points: [Coordinate] = []
        for u in d.units {
            let ring = u.shape.polygons[0][0]
            for k in 0..<(ring.count - 1) {
                let a = ring[k], b = ring[k + 1]
                let t = random.uniform(0, 1)
                let m = Coordinate(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y))
                let nx = -(b.y - a.y), ny = b.x - a.x, len = (nx * nx + ny * ny).squareRoot()
                points += [a, m]
                // A hair either side, and either side of the 15 m border flag and the clear cells.
                for off in [1e-9, 1.2e-4, 1.5e-4, 4e-4, 9e-4] {
                    points += [Coordinate(m.x + nx / len * off, m.y + ny / len * off),
                               Coordinate(m.x - nx / len * off, m.y - ny / len * off)]
                }
            }
        }
        for _ in 0..<6000 {
            points.append(Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY)))
        }
        // The impact report's path: the rule over a plain index of each department's units.
        var plain: [String: (index: GridIndex, units: [ResponsibilityUnit])] = [:]
        for dept in ["X1", "X2"] {
            let own = d.units.filter { $0.departmentID == dept }.sorted { $0.id < $1.id }
            plain[dept] = (try GridIndex(polygons: own.map(\.shape)), own)
        }
        var checked = 0, fallbacks = 0
        for p in points where s.locate(p) != nil {
            let point = try geos.geometry(.point(p))
            for c in d.categories {
                let route = try RouteRequest.route(s, p, category: c.code, border: 15, receivedMs: 0)
                // The clear cells' shortcut answers exactly what the exact path does.
                let exact = try RouteRequest.route(s, p, category: c.code, border: 15, receivedMs: 0, exact: true)
                #expect(route == exact, "\(c.code) at (\(p.x) \(p.y)): the clear cells differ from the exact path")
                guard let dept = c.departmentID else {
                    #expect(route["handled_by"]?.string == "community" && route["unit"] == .null)
                    continue
                }
                var covering: [String] = []
                for k in d.units.indices where d.units[k].departmentID == dept {
                    if try geometries[k].covers(point) { covering.append(d.units[k].id) }
                }
                let named = route["unit"]?["id"]?.string
                #expect(named == covering.min(),
                        "\(c.code) at (\(p.x) \(p.y)): ROUTE \(named ?? "none"), GEOS \(covering)")
                // The routed join's decision and the impact report's, each by its own path.
                let layer = try #require(s.departmentUnits?.layers[dept])
                #expect(layer.decide(at: p).unit.map { layer.units[$0].id } == covering.min(), "join at \(p)")
                let impact = try #require(plain[dept])
                #expect(RoutingRule.responsible(among: impact.index.exactlyCovering(p)).map { impact.units[$0].id }
                        == covering.min(), "impact at \(p)")
                #expect(route["basis"]?["covering_units"]?.array?.compactMap(\.string).sorted() == covering.sorted())
                if covering.isEmpty {
                    fallbacks += 1
                    #expect(route["handled_by"]?.string == "grid_worker" && route["fallback"]?.string != nil)
                    #expect(route["chain"]?.array?.last?["level"]?.string == "street")
                }
                checked += 1
            }
        }
        #expect(checked > 4000 && fallbacks > 100, "\(checked) routes checked, \(fallbacks) fell back")
    }

    /// Validation reports each department's gaps and overlaps, with their areas, and a category
    /// whose department has no unit; the committed, generated layers have none.
    @Test func coverageFindingsForEveryDepartment() throws {
        #expect(try Validator.validate(Self.yufeng).findings.filter { $0.rule.hasPrefix("unit_") }.isEmpty)
        var d = Self.yufeng
        let box = d.outline.bounds!
        let mid = Coordinate((box.minX + box.maxX) / 2, (box.minY + box.maxY) / 2)
        func square(_ x0: Double, _ y0: Double, _ side: Double) -> Shape {
            .polygon([[Coordinate(x0, y0), Coordinate(x0 + side, y0), Coordinate(x0 + side, y0 + side),
                       Coordinate(x0, y0 + side), Coordinate(x0, y0)]])
        }
        // Two squares overlapping by 0.01° × 0.02°, the rest of the district uncovered.
        d.departments = [Department(id: "X", name: "X", dutyPhone: nil, properties: [:])]
        d.units = [
            ResponsibilityUnit(id: "XU1", name: "a", departmentID: "X", dutyPhone: "", shape: square(mid.x, mid.y, 0.02),
                               properties: [:]),
            ResponsibilityUnit(id: "XU2", name: "b", departmentID: "X", dutyPhone: "",
                               shape: square(mid.x + 0.01, mid.y, 0.02), properties: [:]),
        ]
        d.categories = [Category(code: "9", name: "n", group: "g", departmentID: "Y", handler: .unit,
                                 timeLimitHours: 1, keywords: [], properties: [:])]
        d.departments.append(Department(id: "Y", name: "Y", dutyPhone: nil, properties: [:]))
        let findings = try Validator.validate(d).findings
        let overlap = try #require(findings.first { $0.rule == "unit_overlap" })
        let expected = Metric.area(square(mid.x + 0.01, mid.y, 0.01).mapCoordinates { $0 }) * 2
        #expect(overlap.grids == ["XU1", "XU2"] && abs((overlap.areaM2 ?? 0) - expected) < expected * 0.01)
        #expect(findings.contains { $0.rule == "unit_gap" && ($0.areaM2 ?? 0) > 1e7 })
        #expect(findings.contains { $0.rule == "category_without_units" && $0.message.contains("category 9") })
    }

    @Test func borderAndDueTime() throws {
        let s = try Snapshot(dataset: Self.yufeng)
        let network = try #require(s.departmentUnits)
        // A point on a shared edge of two police precincts: the lower id routes it, the other is
        // flagged as near the border.
        let precincts = Self.yufeng.units.filter { $0.departmentID == "D04" }
        let geos = ThreadResources.current.geos
        var found = false
        search: for a in precincts {
            for b in precincts where a.id < b.id {
                let shared = try geos.geometry(a.shape).intersection(try geos.geometry(b.shape))
                guard case .lineString(let cs)? = try? shared.shape(), cs.count >= 2 else { continue }
                let p = Coordinate((cs[0].x + cs[1].x) / 2, (cs[0].y + cs[1].y) / 2)
                guard s.locate(p) != nil else { continue }
                let category = network.categories.values.first { $0.departmentID == "D04" }!.code
                let route = try RouteRequest.route(s, p, category: category, border: 15, receivedMs: 0)
                #expect(route["unit"]?["id"]?.string == a.id)
                #expect(route["near_border"]?.array?.first?["unit"]?.string == b.id)
                found = true
                break search
            }
        }
        #expect(found, "no two precincts share an edge inside the district")
        let route = try RouteRequest.route(s, Coordinate(109.431, 24.30), category: "0601", border: 15,
                                           receivedMs: 1_796_169_600_000)  // 2026-12-02T00:00:00Z
        #expect(route["category"]?["received_at"]?.string == "2026-12-02T08:00:00+08:00")
        #expect(route["category"]?["due_at"]?.string == "2026-12-02T09:00:00+08:00")  // 打架斗殴: 1 hour
        #expect(throws: RequestError.self) {
            try RouteRequest.route(s, Coordinate(109.431, 24.30), category: "nope", border: 15, receivedMs: 0)
        }
        #expect(throws: RequestError.self) {
            try RouteRequest.route(s, Coordinate(100, 20), category: "0601", border: 15, receivedMs: 0)
        }
    }
}

/// Units' areas are redrawn like grids: a units layer replaced in a draft (as from QGIS), its
/// impact on routing (the grids and addresses whose route changes, each checked against GEOS),
/// its findings, and the published version routing by the new areas while the old one is kept.
@Suite struct UnitRedrawTests {
    @Test func replacingUnitsChangesRoutesAndSaysWhere() throws {
        let (store, path) = try makeStore()
        let planner = Planner(store: store)
        let draft = try planner.open(name: "派出所辖区调整", author: "planner").id
        let data = StoreFixture.dataset
        let geos = ThreadResources.current.geos
        // Hand a 600 m square of one precinct, around one of its addresses, to a neighbour.
        let precincts = data.units.filter { $0.departmentID == "D04" }.sorted { $0.id < $1.id }
        let (a, b) = (precincts[0], precincts[1])
        let inB = try geos.geometry(b.shape)
        let address = try #require(try data.addresses.first { try inB.covers(try geos.geometry(.point($0.location))) })
        let c = address.location, h = 0.003
        let square = try geos.geometry(.polygon([[Coordinate(c.x - h, c.y - h), Coordinate(c.x + h, c.y - h),
                                                 Coordinate(c.x + h, c.y + h), Coordinate(c.x - h, c.y + h),
                                                 Coordinate(c.x - h, c.y - h)]]))
        let taken = try inB.intersection(square)
        let newA = try geos.geometry(a.shape).union(taken).shape(), newB = try inB.difference(square).shape()
        var units = data.units
        units[units.firstIndex { $0.id == a.id }!].shape = newA
        units[units.firstIndex { $0.id == b.id }!].shape = newB
        let features = units.map { Feature(id: $0.id, properties: $0.properties, geometry: $0.shape) }
        let result = try planner.apply(.replaceUnits(features: features, source: "units.geojson"), to: draft)
        #expect(result["units_changed"]?.array?.compactMap { $0["id"]?.string }.sorted() == [a.id, b.id].sorted())

        let impact = try planner.impact(draft: draft)
        #expect(Set(impact.routes.units.map(\.id)) == [a.id, b.id])
        #expect(impact.routes.units.allSatisfy { $0.status == "redrawn" })
        // Every address inside the square (and only those) changes from b to a, by GEOS.
        var expected: [String] = []
        for addr in data.addresses where try taken.covers(try geos.geometry(.point(addr.location))) {
            if try !geos.geometry(a.shape).covers(try geos.geometry(.point(addr.location))) { expected.append(addr.id) }
        }
        let listed = impact.routes.addresses.filter { $0.from == b.id && $0.to == a.id }.map(\.id).sorted()
        #expect(listed == expected.sorted() && listed.contains(address.id), "\(listed.count) vs \(expected.count)")
        #expect(impact.routes.addresses.allSatisfy { $0.department == "D04" })
        let routedGrids = impact.routes.grids.map(\.grid)
        let snapshot = try Snapshot(dataset: data)
        let addressGrid = snapshot.dataset.grids[try #require(snapshot.locate(address.location))].id
        #expect(routedGrids.contains(addressGrid), "the address's grid \(addressGrid) is listed")
        #expect(impact.routes.grids.first { $0.grid == addressGrid }.map { $0.after.contains(a.id) } == true)
        #expect(impact.json["route_addresses_changed"] == JSONValue(listed.count))
        #expect(impact.table.contains("addresses whose route changes: \(impact.routes.addresses.count)"))
        // The redraw covers the district as before: no gap, no overlap among the precincts.
        let findings = try planner.validate(draft: draft).findings.filter { $0.rule.hasPrefix("unit_") }
        #expect(findings.filter { $0.message.contains("D04") }.isEmpty, "\(findings.map(\.message))")

        let version = try planner.publish(draft: draft, author: "planner", message: "派出所辖区调整")
        let now = try Snapshot.load(store: path, version: version.id)
        let then = try Snapshot.load(store: path, version: 1)
        let category = try #require(data.categories.first { $0.departmentID == "D04" }).code
        let after = try RouteRequest.route(now, address.location, category: category, border: 15, receivedMs: 0)
        let before = try RouteRequest.route(then, address.location, category: category, border: 15, receivedMs: 0)
        #expect(after["unit"]?["id"]?.string == a.id && before["unit"]?["id"]?.string == b.id)
        // A layer naming an unknown department is refused and the draft left as it was.
        let second = try planner.open(name: "bad", author: "planner").id
        var bad = features
        bad[0].properties["department"] = "D99"
        #expect(throws: PlanError.self) {
            try planner.apply(.replaceUnits(features: bad, source: "bad.geojson"), to: second)
        }
        #expect(try planner.load(second).1.changes.features.isEmpty)
    }
}
