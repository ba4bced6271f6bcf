import Testing
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

@Suite struct GeometryTests {
    let ctx = GEOSContext()

    @Test func wktAndWkbRoundTrip() throws {
        let g = try ctx.geometry(wkt: "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))")
        #expect(try g.area() == 96)
        let back = try ctx.geometry(wkb: try g.wkb())
        #expect(try back.equalsExact(g))
        #expect(try back.wkt() == "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))")
        #expect(try g.shape() == .polygon([
            [Coordinate(0, 0), Coordinate(10, 0), Coordinate(10, 10), Coordinate(0, 10), Coordinate(0, 0)],
            [Coordinate(2, 2), Coordinate(2, 4), Coordinate(4, 4), Coordinate(4, 2), Coordinate(2, 2)],
        ]))
    }

    @Test func geosErrorsCarryTheLibraryMessage() throws {
        #expect { try ctx.geometry(wkt: "POLYGON ((0 0, 1 1") } throws: { error in
            "\(error)".contains("ParseException") || "\(error)".contains("Expected")
        }
        #expect(throws: GeometryError.self) { try ctx.geometry(wkb: [1, 2, 3]) }
        // An unclosed ring never reaches GEOS: our own message says what is wrong.
        #expect {
            try ctx.geometry(.polygon([[Coordinate(0, 0), Coordinate(1, 0), Coordinate(1, 1), Coordinate(0, 1)]]))
        } throws: { "\($0)".contains("closed") }
    }

    @Test func validityReportsReasonAndLocation() throws {
        let bowTie = try ctx.geometry(wkt: "POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))")
        let v = try bowTie.validity()
        #expect(!v.isValid)
        #expect(v.reason?.contains("Self-intersection") == true)
        #expect(v.location == Coordinate(1, 1))
        let repaired = try bowTie.makeValid()
        #expect(repaired.isValid)
        #expect(abs(try repaired.area() - 2) < 1e-12)
    }

    @Test func geoJSONKeepsPropertiesAndOrder() throws {
        let text = """
            {"type":"FeatureCollection","features":[{"type":"Feature","id":7,
            "properties":{"name":"鱼峰","n":3,"ok":true,"z":null},
            "geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}]}
            """
        let features = try GeoJSON.features(fromText: text)
        #expect(features.count == 1)
        #expect(features[0].id == "7")
        #expect(features[0].properties.keys == ["name", "n", "ok", "z"])
        #expect(features[0].properties["name"] == "鱼峰")
        let again = try GeoJSON.features(fromText: GeoJSON.text(features))
        #expect(again == [Feature(id: "7", properties: features[0].properties, geometry: features[0].geometry)])
        #expect(throws: GeoJSONError.self) {
            try GeoJSON.features(fromText: #"{"type":"Feature","geometry":{"type":"Point","coordinates":[1]}}"#)
        }
        #expect { try JSONParser.parse("{\"a\": [1, 2,]}") } throws: { ($0 as? JSONError)?.column == 13 }
    }

    @Test func metricAreaUsesGaussKrugerWithLonLatOrder() throws {
        let m = try MetricMeasurer()
        let p = try m.projection.forward(Coordinate(109.43, 24.3))
        // CM 108E: 1.43° east of the meridian is ~145 km east of the 500 km false easting.
        #expect(p.x > 640_000 && p.x < 650_000)
        #expect(p.y > 2_680_000 && p.y < 2_700_000)
        // A 0.01° square near Liuzhou against the ellipsoidal estimate.
        let s = Shape.polygon([BoundingBox(minX: 109.43, minY: 24.3, maxX: 109.44, maxY: 24.31).ring])
        let k = Metric.metresPerDegree(atLatitude: 24.305)
        let expected = 0.01 * k.lon * 0.01 * k.lat
        #expect(abs(try m.area(s) / expected - 1) < 0.001)
        #expect(abs(try m.length(s) / (2 * 0.01 * (k.lon + k.lat)) - 1) < 0.001)
    }

    /// Every GEOS geometry made, including intermediate results and failed parses, is
    /// destroyed. (Process-wide handle counts race with parallel tests, so this counts one
    /// context's geometries; `tools/leakcheck.sh` runs the CLI under valgrind for the C side.)
    @Test func geometriesAreAllReleased() throws {
        let local = GEOSContext()
        do {
            let a = try local.geometry(wkt: "POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))")
            let b = try local.geometry(.polygon([BoundingBox(minX: 2, minY: 2, maxX: 6, maxY: 6).ring]))
            _ = try a.intersection(b).union(a).boundary().wkb()
            _ = try a.validity()
            _ = try local.geometry(wkt: "POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))").makeValid().parts()
            _ = try? local.geometry(wkt: "nonsense")
            _ = try? local.geometry(
                .polygon([
                    [Coordinate(0, 0), Coordinate(1, 0), Coordinate(1, 1), Coordinate(0, 0)], [Coordinate(0, 0)],
                ]))
            _ = try MetricMeasurer(context: local).area(try a.shape())
            #expect(local.liveGeometries >= 2)
        }
        #expect(local.liveGeometries == 0)
    }
}
