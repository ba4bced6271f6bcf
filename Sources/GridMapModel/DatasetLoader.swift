import Foundation
import GridMapGeometry

extension Dataset {
    /// Reads a data directory laid out as in the README. Every problem names its file.
    public static func load(directory: String) throws -> Dataset {
        var hasher = ContentHash()
        func read(_ name: String) throws -> [UInt8] {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw StoreError.data(
                    path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "file not found")
            }
            let bytes = [UInt8](data)
            hasher.add(bytes)
            return bytes
        }
        func features(_ name: String) throws -> [Feature] {
            let path = directory + "/" + name
            do { return try GeoJSON.features(from: try JSONParser.parse(try read(name))) }
            catch let e as JSONError { throw StoreError.data(path, "not valid JSON: \(e)") }
            catch let e as GeoJSONError { throw StoreError.data(path, "not valid GeoJSON: \(e.message)") }
        }

        let manifest = try? JSONParser.parse(try read(DataFiles.manifest))
        var layers = LayerFeatures(
            outline: try features(DataFiles.outline), streets: try features(DataFiles.streets),
            communities: try features(DataFiles.communities), grids: try features(DataFiles.grids),
            resources: try features(DataFiles.resources))
        // One network's files are optional: a district without them loads, and routes nothing.
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: directory + "/" + name) }
        if exists(DataFiles.departments) {
            layers.departments = try csvFeatures(
                try read(DataFiles.departments), path: directory + "/" + DataFiles.departments,
                columns: DataFiles.departmentColumns, idColumn: "id")
        }
        if exists(DataFiles.units) { layers.units = try features(DataFiles.units) }
        if exists(DataFiles.categories) {
            layers.categories = try csvFeatures(
                try read(DataFiles.categories), path: directory + "/" + DataFiles.categories,
                columns: DataFiles.categoryColumns, idColumn: "code")
        }
        if exists(DataFiles.calendar) {
            layers.calendar = try csvFeatures(
                try read(DataFiles.calendar), path: directory + "/" + DataFiles.calendar,
                columns: DataFiles.calendarColumns, idColumn: "date")
        }
        let addresses = try readAddresses(try read(DataFiles.addresses), path: directory + "/" + DataFiles.addresses)
        return try assemble(layers, addresses: addresses, districtID: manifest?["district_id"]?.idText ?? "",
                            districtName: manifest?["district_name"]?.string ?? "", version: hasher.hex,
                            source: { directory + "/" + $0.fileName })
    }

    /// Builds and checks a dataset from its layers' features; `source` names where a layer
    /// came from (a file, or a store and version) in every error.
    /// `checkGeometry: false` skips GEOS's validity check of every grid: a store's versions
    /// were checked when they were published, and at 100× the check costs seconds of start-up.
    public static func assemble(
        _ layers: LayerFeatures, addresses: [Address], districtID: String, districtName: String,
        version: String, checkGeometry: Bool = true, source: (Layer) -> String
    ) throws -> Dataset {
        guard let outline = layers.outline.first?.geometry, !outline.polygons.isEmpty else {
            throw StoreError.data(source(.outline), "needs one polygon feature")
        }
        let streets = try layers.streets.enumerated().map { try street($1, $0, source(.streets)) }
        let communities = try layers.communities.enumerated().map { try community($1, $0, source(.communities)) }
        let gridSource = source(.grids), resourceSource = source(.resources)
        let grids = try layers.grids.concurrentMap { try grid($1, $0, gridSource) }
        let resources = try layers.resources.concurrentMap { try resource($1, $0, resourceSource) }
        var dataset = Dataset(
            districtID: districtID, districtName: districtName, outline: outline, streets: streets,
            communities: communities, grids: grids, resources: resources, addresses: addresses, version: version)
        dataset.departments = try layers.departments.enumerated().map { try department($1, $0, source(.departments)) }
            .sorted { $0.id < $1.id }
        dataset.units = try layers.units.enumerated().map { try unit($1, $0, source(.units)) }.sorted { $0.id < $1.id }
        dataset.categories = try layers.categories.enumerated().map { try category($1, $0, source(.categories)) }
            .sorted { $0.code < $1.code }
        dataset.calendar = WorkCalendar(try layers.calendar.enumerated().map {
            try calendarDay($1, $0, source(.calendar))
        })
        try dataset.checkReferences(source: source)
        if checkGeometry { try dataset.checkGeometries(source: source) }
        return dataset
    }

    // One feature of each layer, read with errors naming the source and the feature.
    package static func street(_ f: Feature, _ k: Int, _ source: String) throws -> Street {
        let r = FeatureReader(f, k, source)
        return Street(id: try r.id(), name: try r.text("name"), kind: r.optionalText("kind") ?? "street",
                      shape: r.optionalPolygonal(), properties: f.properties)
    }
    package static func community(_ f: Feature, _ k: Int, _ source: String) throws -> Community {
        let r = FeatureReader(f, k, source)
        return Community(id: try r.id(), name: try r.text("name"), kind: r.optionalText("kind") ?? "community",
                         streetID: try r.text("street_id"), shape: r.optionalPolygonal(), properties: f.properties)
    }
    package static func grid(_ f: Feature, _ k: Int, _ source: String) throws -> Grid {
        let r = FeatureReader(f, k, source)
        return Grid(id: try r.id(), name: try r.text("name"), communityID: try r.text("community_id"),
                    streetID: try r.text("street_id"), households: try r.int("households"),
                    population: try r.int("population"), shape: try r.polygonal(), properties: f.properties)
    }
    /// A resource; `grid_id` is kept only for staff (the grid assigned), for anything else
    /// the grid is where it stands, derived per version.
    package static func resource(_ f: Feature, _ k: Int, _ source: String) throws -> Resource {
        let r = FeatureReader(f, k, source)
        let kind = try r.text("kind")
        return Resource(id: try r.id(), name: try r.text("name"), kind: kind,
                        gridID: Resource.assignedKinds.contains(kind) ? r.optionalText("grid_id") : nil,
                        contact: r.optionalText("contact"), location: try r.point(), properties: f.properties)
    }

    /// This dataset with `changes` applied, reading only the changed features, and checked:
    /// references in full, geometries of the changed grids (the others were checked when
    /// their version was built). Items stay sorted by id.
    public func applying(_ changes: ChangeSet, version: String, source: (Layer) -> String) throws -> Dataset {
        var out = self
        out.version = version
        func apply<T>(_ items: inout [T], _ layer: Layer, _ id: (T) -> String,
                      _ read: (Feature, Int, String) throws -> T) throws {
            guard let rows = changes.features[layer], !rows.isEmpty else { return }
            var byID = Dictionary(items.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
            for (fid, row) in rows {
                byID[fid] = try row.map { row in
                    // Rows applied here come from a store (a version, a draft): one that does not
                    // decode is the store's fault, not a client's.
                    do { return try read(try row.feature(id: fid), 0, source(layer)) } catch let e as StoreError {
                        throw e
                    } catch {
                        throw StoreError(source(layer), "\(fid): \(error)", code: .badStoredRow)
                    }
                }
            }
            items = byID.keys.sorted().map { byID[$0]! }
        }
        try apply(&out.streets, .streets, \.id, Dataset.street)
        try apply(&out.communities, .communities, \.id, Dataset.community)
        try apply(&out.grids, .grids, \.id, Dataset.grid)
        try apply(&out.resources, .resources, \.id, Dataset.resource)
        try apply(&out.departments, .departments, \.id, Dataset.department)
        try apply(&out.units, .units, \.id, Dataset.unit)
        try apply(&out.categories, .categories, \.code, Dataset.category)
        if changes.features[.calendar]?.isEmpty == false {
            var days = out.calendar.days
            try apply(&days, .calendar, \.date, Dataset.calendarDay)
            out.calendar = WorkCalendar(days)
        }
        if let row = changes.features[.outline]?["outline"] {
            guard let shape = try row?.feature(id: "outline").geometry, !shape.polygons.isEmpty else {
                throw StoreError.data(source(.outline), "needs one polygon feature")
            }
            out.outline = shape
        }
        if !changes.addresses.isEmpty {
            var byID = Dictionary(out.addresses.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            for (id, a) in changes.addresses { byID[id] = a }
            out.addresses = byID.keys.sorted().map { byID[$0]! }
        }
        try out.checkReferences(source: source)
        let geos = ThreadResources.current.geos
        for g in out.grids where changes.features[.grids]?[g.id] != nil {
            let validity: Validity
            do { validity = try geos.geometry(g.shape).validity() } catch {
                throw StoreError.data(source(.grids), "\(g.id): \(error)")
            }
            if !validity.isValid {
                throw StoreError.data(source(.grids), "\(g.id): invalid polygon: \(validity.description)")
            }
        }
        return out
    }

    private static func readAddresses(_ bytes: [UInt8], path: String) throws -> [Address] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StoreError.data(path, "not valid UTF-8")
        }
        let rows: [(line: Int, fields: [String])]
        do { rows = try CSV.parse(text) } catch let e as CSV.ParseError { throw StoreError.data(path, "\(e)") }
        guard let header = rows.first?.fields else { throw StoreError.data(path, "empty file: expected a header line") }
        var column: [String: Int] = [:]
        for (i, name) in header.enumerated() { column[name] = i }
        let missing = DataFiles.addressColumns.filter { column[$0] == nil }
        guard missing.isEmpty else {
            throw StoreError.data(path, "header lacks column(s) \(missing.joined(separator: ", "))")
        }
        return try rows.dropFirst().map { row in
            func f(_ name: String) -> String { let i = column[name]!; return i < row.fields.count ? row.fields[i] : "" }
            guard row.fields.count == header.count else {
                throw StoreError.data(path, "line \(row.line): \(row.fields.count) fields, expected \(header.count)")
            }
            guard let lon = Double(f("lon")), let lat = Double(f("lat")), lon.isFinite, lat.isFinite else {
                throw StoreError.data(path, "line \(row.line): lon/lat are not numbers")
            }
            return Address(id: f("id"), text: f("address"), street: f("street"), community: f("community"),
                           road: f("road"), number: f("number"), compound: f("compound"), building: f("building"),
                           unit: f("unit"), room: f("room"), location: Coordinate(lon, lat), gridID: f("grid_id"))
        }
    }

    /// Every polygon valid by GEOS, or the file, feature and GEOS's reason and location.
    /// (Street and community shapes are derived from the grids, so only grids and the outline
    /// are checked.)
    package func checkGeometries(source: (Layer) -> String) throws {
        let ctx = ThreadResources.current.geos
        func check(_ layer: Layer, _ id: String, _ shape: Shape) throws {
            let validity: Validity
            do { validity = try ctx.geometry(shape).validity() } catch {
                throw StoreError.data(source(layer), "\(id): \(error)")
            }
            if !validity.isValid {
                throw StoreError.data(source(layer), "\(id): invalid polygon: \(validity.description)")
            }
        }
        try check(.outline, "outline", outline)
        for g in grids { try check(.grids, g.id, g.shape) }
    }

    /// Ids unique and every reference pointing at something that exists.
    package func checkReferences(source: (Layer) -> String) throws {
        func unique<T>(_ items: [T], _ id: (T) -> String, _ file: Layer) throws -> Set<String> {
            var seen = Set<String>()
            for item in items where !seen.insert(id(item)).inserted {
                throw StoreError.data(source(file), "duplicate id \(id(item))")
            }
            return seen
        }
        let streetIDs = try unique(streets, \.id, .streets)
        let communityIDs = try unique(communities, \.id, .communities)
        let gridIDs = try unique(grids, \.id, .grids)
        // Read from a store the resources come in id order, which proves them unique without
        // hashing 541,000 ids (at 100×) into a set that is thrown away.
        if !zip(resources, resources.dropFirst()).allSatisfy({ $0.id < $1.id }) {
            _ = try unique(resources, \.id, .resources)
        }
        for c in communities where !streetIDs.contains(c.streetID) {
            throw StoreError.data(source(.communities), "community \(c.id) names unknown street \(c.streetID)")
        }
        for g in grids where !communityIDs.contains(g.communityID) || !streetIDs.contains(g.streetID) {
            throw StoreError.data(
                source(.grids), "grid \(g.id) names unknown community \(g.communityID) or street \(g.streetID)")
        }
        for r in resources {
            if let g = r.gridID, !gridIDs.contains(g) {
                throw StoreError.data(source(.resources), "\(r.kind) \(r.id) is assigned to grid \(g), which does "
                                + "not exist (reassign it when a grid is retired)")
            }
        }
        let departmentIDs = try unique(departments, \.id, .departments)
        let unitIDs = try unique(units, \.id, .units)
        _ = try unique(categories, \.code, .categories)
        _ = try unique(calendar.days, \.date, .calendar)
        for u in units where !departmentIDs.contains(u.departmentID) {
            throw StoreError.data(source(.units), "unit \(u.id) names unknown department \(u.departmentID)")
        }
        for c in categories {
            if let d = c.departmentID, !departmentIDs.contains(d) {
                throw StoreError.data(source(.categories), "category \(c.code) names unknown department \(d)")
            }
        }
        for r in resources {
            if let u = r.properties["unit_id"]?.idText, !u.isEmpty, !unitIDs.contains(u) {
                throw StoreError.data(source(.resources),
                                      "\(r.kind) \(r.id) belongs to unit \(u), which does not exist")
            }
        }
        var addressIDs = Set<String>()
        for a in addresses where !addressIDs.insert(a.id).inserted {
            throw StoreError.data(source(.addresses), "duplicate address id \(a.id)")
        }
    }
}

/// Reads typed members of one feature, naming the file and feature in every error.
package struct FeatureReader {
    package let feature: Feature
    package let index: Int
    package let path: String

    package init(_ feature: Feature, _ index: Int, _ path: String) {
        self.feature = feature; self.index = index; self.path = path
    }

    private func fail(_ message: String) -> StoreError {
        StoreError.data(path, "feature \(index)\(feature.identifier.map { " (id \($0))" } ?? ""): \(message)")
    }

    /// The feature's id; every reader asks for it first, so this is also where every text
    /// property (names, contacts, phones, ids: all shown as text) is checked once.
    package func id() throws -> String {
        guard let id = feature.identifier, !id.isEmpty else { throw fail("has no id") }
        if let problem = DisplayText.problem(id, "its id") { throw fail(problem) }
        for (key, value) in feature.properties {
            if case .string(let s) = value, let problem = DisplayText.problem(s, "property '\(key)'") {
                throw fail(problem)
            }
        }
        return id
    }
    package func text(_ key: String) throws -> String {
        guard let value = feature.properties[key], let s = value.idText, !s.isEmpty else {
            throw fail("lacks property '\(key)'")
        }
        return s
    }
    package func optionalText(_ key: String) -> String? { feature.properties[key]?.idText }
    package func int(_ key: String) throws -> Int {
        guard let n = feature.properties[key]?.int, n >= 0 else {
            throw fail("property '\(key)' must be a whole number ≥ 0")
        }
        return n
    }
    /// Street and community shapes are derived from their grids; a file's own is kept only
    /// until then.
    package func optionalPolygonal() -> Shape {
        switch feature.geometry {
        case .polygon?, .multiPolygon?: return feature.geometry!
        default: return .multiPolygon([])
        }
    }
    package func polygonal() throws -> Shape {
        guard let g = feature.geometry else { throw fail("has no geometry") }
        switch g {
        case .polygon, .multiPolygon: return g
        default: throw fail("geometry must be a Polygon or MultiPolygon, not \(g.typeName)")
        }
    }
    package func point() throws -> Coordinate {
        guard case .point(let c) = feature.geometry else { throw fail("geometry must be a Point") }
        return c
    }
}

/// FNV-1a 64 over every byte read: cheap, stable across runs and platforms.
package struct ContentHash {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325
    package mutating func add(_ bytes: [UInt8]) {
        for b in bytes { state = (state ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    }
    package var hex: String {
        let s = String(state, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
