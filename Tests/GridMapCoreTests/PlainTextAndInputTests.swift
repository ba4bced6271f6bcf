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

/// Text shown to people and geometry typed by clients: refused whole with a message that says
/// where, never cut or guessed at (issue: script in names, NUL in messages, trailing WKT).
@Suite struct PlainTextAndInputTests {
    static let hidden = ["a\u{0}b", "a\u{1}b", "tab\there", "a\u{7F}b", "a\u{202E}b", "a\u{200B}b", "a\u{2028}b"]

    @Test func hiddenCharactersAreFoundAndNamed() {
        for text in Self.hidden { #expect(DisplayText.hidden(in: text) != nil, "\(text.debugDescription)") }
        for text in ["北宁社区第二网格", "Grid 7 (east)", "<img src=x onerror=alert(1)>", "émigré"] {
            #expect(DisplayText.hidden(in: text) == nil, "\(text)")
        }
        #expect(DisplayText.hidden(in: "two\nlines\tand a tab", lines: true) == nil)
        #expect(DisplayText.hidden(in: "a\u{0}b", lines: true) == "\u{0}")
        #expect(DisplayText.problem("a\u{202E}b", "a grid name")?.contains("U+202E") == true)
    }

    @Test(arguments: StoreBackend.available)
    func namesAndMessagesWithHiddenCharactersAreRefused(_ backend: StoreBackend) throws {
        let f = try PlanningFixture(backend)
        let g = try #require(f.data.grids.first)
        for text in Self.hidden {
            #expect { try f.planner.open(name: text, author: "planner") } throws: {
                ($0 as? PlanError)?.code == "bad_name"
            }
            #expect { try f.planner.apply(.setAttribute(grid: g.id, field: "name", value: text), to: f.draft) }
            throws: { ($0 as? PlanError)?.code == "bad_value" }
        }
        // Nothing was opened or changed by the refusals.
        #expect(try f.planner.drafts().count == 1)
        #expect(try f.grid(g.id).name == g.name)
        // A message with a NUL is refused, not stored cut (PostgreSQL's text ends there).
        try f.planner.apply(.setAttribute(grid: g.id, field: "name", value: "改名"), to: f.draft)
        let head = try f.store.head()
        let publish = PlanRequest.publish(draft: f.draft, message: "before\u{0}after")
        #expect { try publish.answer(f.planner, author: "planner") } throws: {
            ($0 as? PlanError)?.code == "bad_message"
        }
        #expect(try f.store.head() == head)
        // A message may span lines.
        let twoLines = PlanRequest.publish(draft: f.draft, message: "第一行\n第二行")
        _ = try twoLines.answer(f.planner, author: "planner")
        #expect(try f.store.version(head + 1).message == "第一行\n第二行")
    }

    @Test func dataFilesWithHiddenCharactersAreRefusedNamingTheFeature() throws {
        let base = StoreFixture.dataset
        let grid = try #require(base.grids.first)
        var properties = grid.properties
        properties["name"] = .string("网格\u{1}一")
        let feature = Feature(id: grid.id, properties: properties, geometry: grid.shape)
        #expect { _ = try Dataset.grid(feature, 3, "grids.geojson") } throws: { error in
            let text = "\(error)"
            return text.contains("grids.geojson") && text.contains("feature 3") && text.contains("U+0001")
        }
        properties["name"] = .string(grid.name)
        properties["households"] = .number(1)
        properties["note"] = .string("\u{202E}txt.exe")
        #expect(throws: StoreError.self) {
            _ = try Dataset.grid(Feature(id: grid.id, properties: properties, geometry: grid.shape), 0, "x")
        }
    }

    @Test func passwordsAreRedactedInEverySpellingLibpqReads() {
        let secret = "s3cr3t"
        let spellings = [
            "postgresql://gridmap:\(secret)@db1:5432,db2:5432/gridmap",
            "postgresql://gridmap@db1/gridmap?pass%77ord=\(secret)",
            "postgresql://gridmap@db1/gridmap?password=\(secret)&sslmode=disable",
            "host=db1 password = '\(secret)' dbname=gridmap",
            "host=db1 password='it\\'s \(secret)' dbname=gridmap",
            "host=db1 password=\(secret)",
        ]
        for conninfo in spellings {
            let shown = PostgreSQLConnection.redacted(conninfo)
            #expect(!shown.contains(secret) && !shown.contains("s3cr"), "\(conninfo) → \(shown)")
            #expect(shown.contains("db1") && shown.contains("password=…"), "\(conninfo) → \(shown)")
        }
        // Without a password the string is shown as given; one libpq cannot read, not at all.
        #expect(PostgreSQLConnection.redacted("postgresql://gridmap@db1/gridmap") == "postgresql://gridmap@db1/gridmap")
        #expect(!PostgreSQLConnection.redacted("host='unterminated password=\(secret)").contains(secret))
    }

    @Test func wktWithTextAfterTheGeometryIsRefusedWithItsPosition() throws {
        let square = "POLYGON((109.43 24.30, 109.44 24.30, 109.44 24.31, 109.43 24.30))"
        #expect(throws: Never.self) { _ = try GeometryInput.parse(square) }
        #expect(throws: Never.self) { _ = try GeometryInput.parse("  POINT EMPTY ") }
        for (text, position) in [(square + " junk", square.count + 2), (square + ", (1 2, 3 4)", square.count + 1),
                                 ("POINT(1 2) POINT(3 4)", 12), ("POINT EMPTY x", 13)] {
            #expect { _ = try GeometryInput.parse(text) } throws: { error in
                "\(error)".contains("at character \(position)")
            }
        }
    }

    @Test func geoJSONIsStrict() throws {
        let point = #"{"type":"Point","coordinates":[109.43,24.30]}"#
        #expect(throws: Never.self) { _ = try GeometryInput.parse(point) }
        let crs84 = #"{"type":"FeatureCollection","crs":{"type":"name","#
            + #""properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"#
            + #""features":[{"type":"Feature","properties":{},"geometry":\#(point)}]}"#
        #expect(throws: Never.self) { _ = try GeometryInput.parse(crs84) }
        let mercator = crs84.replacingOccurrences(of: "urn:ogc:def:crs:OGC:1.3:CRS84", with: "EPSG:3857")
        #expect { _ = try GeometryInput.parse(mercator) } throws: { "\($0)".contains("EPSG:3857") }
        let polygon = #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,"1"],[0,0]]]}"#
        #expect { _ = try GeometryInput.parse(polygon) } throws: { "\($0)".contains("coordinates[0][2][1]") }
        let short = #"{"type":"LineString","coordinates":[[0,0],[1]]}"#
        #expect { _ = try GeometryInput.parse(short) } throws: { "\($0)".contains("coordinates[1]") }
    }
}
