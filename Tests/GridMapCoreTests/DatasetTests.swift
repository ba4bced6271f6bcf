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

/// Checks the committed data against the contract in the README ("Data layout").
@Suite struct DatasetTests {
    let data = Fixtures.dataset

    @Test func countsMatchTheDistrict() {
        #expect(data.grids.count == 674)
        #expect(data.streets.count == 9)
        #expect(data.communities.filter { $0.kind == "community" }.count == 49)
        #expect(data.communities.filter { $0.kind == "village" }.count == 21)
        let kinds = Dictionary(grouping: data.resources, by: \.kind).mapValues(\.count)
        #expect(kinds["grid_worker"] == 869)
        #expect(kinds["enforcement"] == 157)
        #expect(kinds["service_company"] == 60)
        #expect((kinds["camera"] ?? 0) > 0 && (kinds["venue"] ?? 0) > 0)
        #expect(data.addresses.count >= 20_000)
        let people = data.grids.reduce(0) { $0 + $1.population }
        #expect(abs(people - 420_000) <= 5_000)
        let names = Set(data.streets.map(\.name))
        #expect(names == ["天马街道", "驾鹤街道", "箭盘山街道", "五里亭街道", "荣军街道", "白莲街道", "麒麟街道", "白沙镇", "里雍镇"])
    }

    @Test func codesAreUniqueAndWellFormed() {
        func digits(_ s: String, _ n: Int) -> Bool {
            s.count == n && s.allSatisfy(\.isASCII) && s.allSatisfy(\.isNumber)
        }
        let streets = Set(data.streets.map(\.id))
        #expect(streets.count == 9)
        #expect(
            streets == [
                "450203001", "450203002", "450203003", "450203004", "450203005", "450203006", "450203007", "450203102",
                "450203103",
            ])
        let communities = Dictionary(uniqueKeysWithValues: data.communities.map { ($0.id, $0) })
        for c in data.communities {
            #expect(digits(c.id, 12) && c.id.hasPrefix(c.streetID))
            let seq = Int(c.id.suffix(3))!
            #expect(c.kind == "village" ? (200...299).contains(seq) : (1...199).contains(seq), "\(c.id)")
            #expect(c.name.hasSuffix(c.kind == "village" ? "村" : "社区"))
        }
        #expect(Set(data.grids.map(\.id)).count == 674)
        for g in data.grids {
            #expect(digits(g.id, 15) && g.id.hasPrefix(g.communityID), "\(g.id)")
            #expect(communities[g.communityID]?.streetID == g.streetID)
            #expect(g.households > 0 && g.population >= g.households)
            let vertices = g.shape.vertexCount
            #expect(vertices >= 10 && vertices <= 500, "grid \(g.id) has \(vertices) vertices")
        }
        let workers = Set(data.resources.filter { $0.kind == "grid_worker" }.compactMap(\.gridID))
        #expect(workers.count == 674, "every grid has a grid worker")
    }

    @Test func gridsAreValidDisjointAndCoverTheOutline() throws {
        let geo = try GridGeometries(data.grids)
        for (g, geometry) in geo.geometries.enumerated() {
            let v = try geometry.validity()
            #expect(v.isValid, "grid \(data.grids[g].id): \(v.description)")
        }
        let m = try MetricMeasurer(context: geo.ctx)
        var worstOverlap = 0.0
        for a in geo.geometries.indices {
            for b in (a + 1)..<geo.geometries.count where geo.boxes[a].intersects(geo.boxes[b]) {
                let i = try geo.geometries[a].intersection(geo.geometries[b])
                if !i.isEmpty { worstOverlap = max(worstOverlap, try m.area(i)) }
            }
        }
        #expect(worstOverlap < 1, "largest overlap \(worstOverlap) m²")

        let outline = try geo.ctx.geometry(data.outline)
        #expect(outline.isValid)
        let outlineArea = try m.area(outline)
        #expect(outlineArea > 400e6 && outlineArea < 550e6)  // Yufeng is about 470 km²
        for (layer, shapes) in [("grids", data.grids.map(\.shape)), ("communities", data.communities.map(\.shape)),
                                ("streets", data.streets.map(\.shape))] {
            let union = try geo.ctx.geometry(.collection(shapes)).unaryUnion()
            let gap = try m.area(try union.symmetricDifference(outline))
            #expect(gap / outlineArea < 1e-4, "\(layer) differ from the outline by \(gap) m²")
        }
    }

    @Test func layersNest() throws {
        let ctx = GEOSContext()
        let m = try MetricMeasurer(context: ctx)
        let communities = try Dictionary(
            uniqueKeysWithValues: data.communities.map { ($0.id, try ctx.geometry($0.shape)) })
        let streets = try Dictionary(uniqueKeysWithValues: data.streets.map { ($0.id, try ctx.geometry($0.shape)) })
        for g in data.grids {
            let outside = try ctx.geometry(g.shape).difference(communities[g.communityID]!)
            let area = outside.isEmpty ? 0 : try m.area(outside)
            #expect(area < 1, "grid \(g.id) leaves its community by \(area) m²")
        }
        for c in data.communities {
            let outside = try ctx.geometry(c.shape).difference(streets[c.streetID]!)
            let area = outside.isEmpty ? 0 : try m.area(outside)
            #expect(area < 1, "community \(c.id) leaves its street by \(area) m²")
        }
    }

    /// The grids derived for addresses and resources (by the index) are the ones GEOS finds,
    /// and the committed data's staff stand in the grids they are assigned to.
    @Test func everyAddressAndResourceLiesInExactlyTheGridItNames() throws {
        let geo = try GridGeometries(data.grids)
        for a in data.addresses {
            let covering = try geo.covering(a.location)
            #expect(covering.count == 1 && data.grids[covering[0]].id == a.gridID, "address \(a.id)")
        }
        for r in data.resources {
            let covering = try geo.covering(r.location)
            #expect(covering.count == 1 && data.grids[covering[0]].id == r.locatedGridID, "resource \(r.id)")
            if Resource.assignedKinds.contains(r.kind) { #expect(r.gridID == r.locatedGridID, "staff \(r.id)") }
        }
    }

    @Test func loaderNamesTheBrokenFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gridmap-broken-\(UUID().uuidString)")
            .path
        try FileManager.default.copyItem(atPath: Fixtures.dataDirectory, toPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{\"type\":\"FeatureCollection\",\"features\":[".write(
            toFile: dir + "/grids.geojson", atomically: true, encoding: .utf8)
        #expect { try Dataset.load(directory: dir) } throws: {
            "\($0)".contains("grids.geojson") && "\($0)".contains("JSON")
        }
        try FileManager.default.removeItem(atPath: dir + "/streets.geojson")
        #expect { try Dataset.load(directory: dir) } throws: { "\($0)".contains("streets.geojson: file not found") }
    }
}

@Suite struct InvalidDataTests {
    @Test func anInvalidGridIsRefusedWithGEOSReason() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gridmap-invalid-\(UUID().uuidString)")
            .path
        try FileManager.default.copyItem(atPath: Fixtures.dataDirectory, toPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var features = try GeoJSON.features(fromText: String(contentsOfFile: dir + "/grids.geojson", encoding: .utf8))
        guard case .polygon(var rings) = features[5].geometry else { Issue.record("expected a polygon"); return }
        rings[0].swapAt(1, 2)  // a bow-tie
        features[5].geometry = .polygon(rings)
        try GeoJSON.text(features).write(toFile: dir + "/grids.geojson", atomically: true, encoding: .utf8)
        #expect { try Dataset.load(directory: dir) } throws: { error in
            let text = "\(error)"
            return text.contains("grids.geojson") && text.contains(features[5].id!)
                && text.contains("Self-intersection")
        }
    }
}
