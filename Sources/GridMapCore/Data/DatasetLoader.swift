import Foundation

extension Dataset {
    /// The bundled Yufeng data: `$GRIDMAP_DATA`, else `data/yufeng` beside the working
    /// directory or up from the executable (so `swift run` and an installed binary both work).
    public static var defaultDirectory: String {
        if let env = ProcessInfo.processInfo.environment["GRIDMAP_DATA"], !env.isEmpty { return env }
        let fm = FileManager.default
        var candidates = [fm.currentDirectoryPath]
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 { candidates.append(dir.path); dir.deleteLastPathComponent() }
        for c in candidates {
            let path = c + "/data/yufeng"
            if fm.fileExists(atPath: path + "/" + DataFiles.grids) { return path }
        }
        return "data/yufeng"
    }

    /// Reads a data directory laid out as in the README. Every problem names its file.
    public static func load(directory: String) throws -> Dataset {
        var hasher = ContentHash()
        func read(_ name: String) throws -> [UInt8] {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DataError(path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "file not found")
            }
            let bytes = [UInt8](data)
            hasher.add(bytes)
            return bytes
        }
        func features(_ name: String) throws -> [Feature] {
            let path = directory + "/" + name
            do { return try GeoJSON.features(from: try JSONParser.parse(try read(name))) }
            catch let e as JSONError { throw DataError(path, "not valid JSON: \(e)") }
            catch let e as GeoJSONError { throw DataError(path, "not valid GeoJSON: \(e.message)") }
        }

        let manifest = try? JSONParser.parse(try read(DataFiles.manifest))
        let outlineFeatures = try features(DataFiles.outline)
        guard let outline = outlineFeatures.first?.geometry, !outline.polygons.isEmpty else {
            throw DataError(directory + "/" + DataFiles.outline, "needs one polygon feature")
        }
        let streets = try features(DataFiles.streets).enumerated().map { k, f in
            let r = FeatureReader(f, k, directory + "/" + DataFiles.streets)
            return Street(id: try r.id(), name: try r.text("name"), kind: r.optionalText("kind") ?? "street",
                          shape: try r.polygonal(), properties: f.properties)
        }
        let communities = try features(DataFiles.communities).enumerated().map { k, f in
            let r = FeatureReader(f, k, directory + "/" + DataFiles.communities)
            return Community(id: try r.id(), name: try r.text("name"), kind: r.optionalText("kind") ?? "community",
                             streetID: try r.text("street_id"), shape: try r.polygonal(), properties: f.properties)
        }
        let grids = try features(DataFiles.grids).enumerated().map { k, f in
            let r = FeatureReader(f, k, directory + "/" + DataFiles.grids)
            return Grid(id: try r.id(), name: try r.text("name"), communityID: try r.text("community_id"),
                        streetID: try r.text("street_id"), households: try r.int("households"),
                        population: try r.int("population"), shape: try r.polygonal(), properties: f.properties)
        }
        let resources = try features(DataFiles.resources).enumerated().map { k, f in
            let r = FeatureReader(f, k, directory + "/" + DataFiles.resources)
            return Resource(id: try r.id(), name: try r.text("name"), kind: try r.text("kind"),
                            gridID: r.optionalText("grid_id"), contact: r.optionalText("contact"),
                            location: try r.point(), properties: f.properties)
        }
        let addresses = try readAddresses(try read(DataFiles.addresses), path: directory + "/" + DataFiles.addresses)
        let dataset = Dataset(
            districtID: manifest?["district_id"]?.idText ?? "", districtName: manifest?["district_name"]?.string ?? "",
            outline: outline, streets: streets, communities: communities, grids: grids, resources: resources,
            addresses: addresses, version: hasher.hex)
        try dataset.checkReferences(directory: directory)
        try dataset.checkGeometries(directory: directory)
        return dataset
    }

    private static func readAddresses(_ bytes: [UInt8], path: String) throws -> [Address] {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw DataError(path, "not valid UTF-8") }
        let rows: [(line: Int, fields: [String])]
        do { rows = try CSV.parse(text) } catch let e as CSV.ParseError { throw DataError(path, "\(e)") }
        guard let header = rows.first?.fields else { throw DataError(path, "empty file: expected a header line") }
        var column: [String: Int] = [:]
        for (i, name) in header.enumerated() { column[name] = i }
        let missing = DataFiles.addressColumns.filter { column[$0] == nil }
        guard missing.isEmpty else { throw DataError(path, "header lacks column(s) \(missing.joined(separator: ", "))") }
        return try rows.dropFirst().map { row in
            func f(_ name: String) -> String { let i = column[name]!; return i < row.fields.count ? row.fields[i] : "" }
            guard row.fields.count == header.count else {
                throw DataError(path, "line \(row.line): \(row.fields.count) fields, expected \(header.count)")
            }
            guard let lon = Double(f("lon")), let lat = Double(f("lat")), lon.isFinite, lat.isFinite else {
                throw DataError(path, "line \(row.line): lon/lat are not numbers")
            }
            return Address(id: f("id"), text: f("address"), street: f("street"), community: f("community"),
                           road: f("road"), number: f("number"), compound: f("compound"), building: f("building"),
                           unit: f("unit"), room: f("room"), location: Coordinate(lon, lat), gridID: f("grid_id"))
        }
    }

    /// Every polygon valid by GEOS, or the file, feature and GEOS's reason and location.
    func checkGeometries(directory: String) throws {
        let ctx = GEOSContext()
        func check(_ file: String, _ id: String, _ shape: Shape) throws {
            let validity: Validity
            do { validity = try ctx.geometry(shape).validity() } catch { throw DataError(directory + "/" + file, "\(id): \(error)") }
            if !validity.isValid { throw DataError(directory + "/" + file, "\(id): invalid polygon: \(validity.description)") }
        }
        try check(DataFiles.outline, "outline", outline)
        for s in streets { try check(DataFiles.streets, s.id, s.shape) }
        for c in communities { try check(DataFiles.communities, c.id, c.shape) }
        for g in grids { try check(DataFiles.grids, g.id, g.shape) }
    }

    /// Ids unique and every reference pointing at something that exists.
    func checkReferences(directory: String) throws {
        func unique<T>(_ items: [T], _ id: (T) -> String, _ file: String) throws -> Set<String> {
            var seen = Set<String>()
            for item in items where !seen.insert(id(item)).inserted {
                throw DataError(directory + "/" + file, "duplicate id \(id(item))")
            }
            return seen
        }
        let streetIDs = try unique(streets, \.id, DataFiles.streets)
        let communityIDs = try unique(communities, \.id, DataFiles.communities)
        let gridIDs = try unique(grids, \.id, DataFiles.grids)
        _ = try unique(resources, \.id, DataFiles.resources)
        for c in communities where !streetIDs.contains(c.streetID) {
            throw DataError(directory + "/" + DataFiles.communities, "community \(c.id) names unknown street \(c.streetID)")
        }
        for g in grids where !communityIDs.contains(g.communityID) || !streetIDs.contains(g.streetID) {
            throw DataError(directory + "/" + DataFiles.grids, "grid \(g.id) names unknown community \(g.communityID) or street \(g.streetID)")
        }
        for r in resources {
            if let g = r.gridID, !gridIDs.contains(g) {
                throw DataError(directory + "/" + DataFiles.resources, "resource \(r.id) names unknown grid \(g)")
            }
        }
        for a in addresses where !a.gridID.isEmpty && !gridIDs.contains(a.gridID) {
            throw DataError(directory + "/" + DataFiles.addresses, "address \(a.id) names unknown grid \(a.gridID)")
        }
    }
}

/// Reads typed members of one feature, naming the file and feature in every error.
private struct FeatureReader {
    let feature: Feature
    let index: Int
    let path: String

    init(_ feature: Feature, _ index: Int, _ path: String) { self.feature = feature; self.index = index; self.path = path }

    private func fail(_ message: String) -> DataError {
        DataError(path, "feature \(index)\(feature.identifier.map { " (id \($0))" } ?? ""): \(message)")
    }

    func id() throws -> String {
        guard let id = feature.identifier, !id.isEmpty else { throw fail("has no id") }
        return id
    }
    func text(_ key: String) throws -> String {
        guard let value = feature.properties[key], let s = value.idText, !s.isEmpty else { throw fail("lacks property '\(key)'") }
        return s
    }
    func optionalText(_ key: String) -> String? { feature.properties[key]?.idText }
    func int(_ key: String) throws -> Int {
        guard let n = feature.properties[key]?.int, n >= 0 else { throw fail("property '\(key)' must be a whole number ≥ 0") }
        return n
    }
    func polygonal() throws -> Shape {
        guard let g = feature.geometry else { throw fail("has no geometry") }
        switch g {
        case .polygon, .multiPolygon: return g
        default: throw fail("geometry must be a Polygon or MultiPolygon, not \(g.typeName)")
        }
    }
    func point() throws -> Coordinate {
        guard case .point(let c) = feature.geometry else { throw fail("geometry must be a Point") }
        return c
    }
}

/// FNV-1a 64 over every byte read: cheap, stable across runs and platforms.
struct ContentHash {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ bytes: [UInt8]) {
        for b in bytes { state = (state ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    }
    var hex: String {
        let s = String(state, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
