import Testing
import Foundation
@testable import GridMapCore

@Test func outlineIndexSmoke() throws {
    let text = try String(contentsOfFile: "data/yufeng-outline.source.geojson", encoding: .utf8)
    let shape = try GeoJSON.features(fromText: text)[0].geometry!
    let ctx = GEOSContext()
    let valid = try ctx.geometry(shape).makeValid()
    print(valid.typeName, try valid.area())
    let polys = try valid.shape().polygons
    print(polys.count)
    let idx = try GridIndex(polygons: [.polygon(polys.max { $0[0].count < $1[0].count }!)])
    print(idx.bucketCount, idx.memoryBytes)
    var hits = 0
    for i in 0..<1000 { if idx.locate(Coordinate(109.40 + 0.31 * Double(i % 40) / 40, 24.2 + 0.37 * Double(i / 40) / 25)) != nil { hits += 1 } }
    print("hits", hits)
}
