import Foundation
import GridMapCore
import GridMapStores
import GridMapPlanning

/// Writes the dataset in the documented layout (README, "Data layout"): GeoJSON with one
/// feature per line, WGS 84 lon/lat on the 1e-7° lattice, grids sorted by code.
struct DatasetWriter {
    let directory: String
    let district: District
    let context: GEOSContext
    /// Grid indices sorted by code; `rank[g]` is g's position there (and in the index).
    let order: [Int]
    let rank: [Int]

    init(directory: String, district: District, context: GEOSContext) {
        self.directory = directory
        self.district = district
        self.context = context
        order = district.grids.indices.sorted { district.grids[$0].code < district.grids[$1].code }
        var rank = [Int](repeating: 0, count: order.count)
        for (k, g) in order.enumerated() { rank[g] = k }
        self.rank = rank
    }

    private func write(_ name: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }

    private func union(_ members: [Int]) throws -> Shape {
        let parts = try members.map { try context.geometry(district.grids[$0].shape) }
        let collection = try context.geometry(.collection(try parts.map { try $0.shape() }))
        let merged = try onLattice(try collection.unaryUnion())
        let validity = try merged.validity()
        guard validity.isValid else { throw GeometryError("union invalid: \(validity.description)") }
        return try merged.shape()
    }

    /// Outline, streets, communities and grids; returns the index over the grids as written.
    func writeAreas() throws -> GridIndex {
        let d = district
        try write(DataFiles.outline, GeoJSON.text([Feature(id: "450203", properties: [
            "id": "450203", "name": "鱼峰区",
            "source": .string(
                "echarts-china-counties-pypkg (2018), quantized to 1/1024°; "
                    + "repaired by GEOS make-valid, slivers and pinholes removed; written as the outer "
                    + "boundary of the grids on their 1e-7° lattice, so that the grids cover it exactly"),
        ], geometry: try union(Array(d.grids.indices)))]))
        let population = { (grids: [Int]) in grids.reduce(0) { $0 + d.grids[$1].population } }
        let households = { (grids: [Int]) in grids.reduce(0) { $0 + d.grids[$1].households } }
        try write(DataFiles.streets, GeoJSON.text(try d.streets.map { s in
            Feature(id: s.code, properties: [
                "id": .string(s.code), "name": .string(s.name), "kind": .string(s.kind),
                "grid_count": JSONValue(s.grids.count), "households": JSONValue(households(s.grids)),
                "population": JSONValue(population(s.grids)),
            ], geometry: try union(s.grids))
        }.sorted { $0.id! < $1.id! }))
        try write(DataFiles.communities, GeoJSON.text(try d.communities.map { c in
            Feature(id: c.code, properties: [
                "id": .string(c.code), "name": .string(c.name), "kind": .string(c.kind),
                "street_id": .string(d.streets[c.street].code), "grid_count": JSONValue(c.grids.count),
                "households": JSONValue(households(c.grids)), "population": JSONValue(population(c.grids)),
            ], geometry: try union(c.grids))
        }.sorted { $0.id! < $1.id! }))
        try write(DataFiles.grids, GeoJSON.text(order.map { g in
            let grid = d.grids[g]
            let community = d.communities[grid.community]
            return Feature(id: grid.code, properties: [
                "id": .string(grid.code), "name": .string(grid.name), "community_id": .string(community.code),
                "street_id": .string(d.streets[community.street].code), "households": JSONValue(grid.households),
                "population": JSONValue(grid.population),
            ], geometry: grid.shape)
        }))
        return try GridIndex(polygons: order.map { d.grids[$0].shape })
    }

    /// Addresses located in the index; those that fall outside every grid are dropped.
    func writeAddresses(_ drafts: [AddressDraft], index: GridIndex) throws -> [(point: Coordinate, grid: Int)] {
        let d = district
        var lines = [CSV.line(DataFiles.addressColumns)]
        var located: [(Coordinate, Int)] = []
        for a in drafts {
            let p = GridIndex.snap(d.frame.lonLat(a.point))
            guard let k = index.locate(p), index.coveringGrids(p).count == 1 else { continue }
            let grid = d.grids[order[k]]
            let community = d.communities[grid.community]
            let street = d.streets[community.street]
            var text = "柳州市鱼峰区" + street.name + community.name + a.road + "\(a.number)号"
            if !a.compound.isEmpty { text += a.compound + "\(a.building)栋\(a.unit)单元" }
            lines.append(
                CSV.line([
                    "a" + String(located.count + 1), text, street.name, community.name, a.road, String(a.number),
                    a.compound,
                    a.building > 0 ? String(a.building) : "", a.unit > 0 ? String(a.unit) : "", "",
                    JSONValue.format(p.x), JSONValue.format(p.y), grid.code,
                ]))
            located.append((p, order[k]))
        }
        try write(DataFiles.addresses, lines.joined(separator: "\n") + "\n")
        return located
    }

    func writeResources(_ resources: [ResourceDraft]) throws {
        try write(
            DataFiles.resources,
            GeoJSON.text(
                resources.map { r in
                    var properties: [(String, JSONValue)] = [
                        ("id", .string(r.id)), ("name", .string(r.name)), ("kind", .string(r.kind)),
                        ("grid_id", .string(district.grids[r.grid].code)),
                    ]
                    if let c = r.contact { properties.append(("contact", .string(c))) }
                    return Feature(id: r.id, properties: JSONObject(properties), geometry: .point(r.point))
                }))
    }

    func writeManifest(seed: UInt64, scale: Int, counts: [String: Int]) throws {
        let manifest: JSONValue = [
            "district_id": "450203", "district_name": "鱼峰区", "city": "柳州市", "crs": "EPSG:4326",
            "generator": "tools/datagen (gridmap-datagen)", "seed": JSONValue(Int(seed)), "scale": JSONValue(scale),
            "synthetic": .string(
                "The outline is real (approximate); "
                    + "every inner boundary, name, person, phone number, address and resource is generated."),
            "counts": .object(JSONObject(counts.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })),
        ]
        try write(DataFiles.manifest, manifest.serialized + "\n")
    }
}
