import GridMapGeometry

/// A stored feature: its properties as JSON text and its geometry as WKB, compared byte for
/// byte to tell whether a publish changes it.
public struct FeatureRow: Equatable, Sendable {
    public var props: String
    public var geom: [UInt8]?
    public init(props: String, geom: [UInt8]?) { self.props = props; self.geom = geom }

    public init(_ feature: Feature) {
        props = JSONValue.object(feature.properties).serialized
        geom = feature.geometry.map(WKB.encode)
    }

    package func feature(id: String) throws -> Feature {
        guard case .object(let properties) = try JSONParser.parse(props) else {
            throw GeoJSONError("properties of \(id) are not a JSON object")
        }
        return Feature(id: id, properties: properties, geometry: try geom.map { try WKB.decode($0) })
    }
}

/// One version's content as stored: each feature layer by id, and the addresses (nil when
/// they were not read).
public struct StoreContent: Sendable {
    public var layers: [Layer: [String: FeatureRow]]
    public var addresses: [String: Address]?
    public var districtID: String
    public var districtName: String

    public init(layers: [Layer: [String: FeatureRow]], addresses: [String: Address]?, districtID: String,
                districtName: String) {
        self.layers = layers; self.addresses = addresses
        self.districtID = districtID; self.districtName = districtName
    }

    /// A dataset's content: every feature with its own properties; addresses without their
    /// grid (derived per version).
    public init(_ d: Dataset) {
        func rows<T>(
            _ items: [T], _ id: (T) -> String, _ props: (T) -> JSONObject,
            _ shape: (T) -> Shape?
        ) -> [String: FeatureRow] {
            Dictionary(
                items.map { (id($0), FeatureRow(Feature(id: id($0), properties: props($0), geometry: shape($0)))) },
                uniquingKeysWith: { a, _ in a })
        }
        layers = [
            .outline: ["outline": FeatureRow(Feature(id: "outline", properties: ["id": "outline"],
                                                     geometry: d.outline.simplestPolygonal))],
            .streets: rows(d.streets, \.id, \.properties, \.shape),
            .communities: rows(d.communities, \.id, \.properties, \.shape),
            .grids: rows(d.grids, \.id, \.properties, { $0.shape.simplestPolygonal }),
            .resources: rows(d.resources, \.id, \.storedProperties, { .point($0.location) }),
            .departments: rows(d.departments, \.id, \.properties, { _ in nil }),
            .units: rows(d.units, \.id, \.properties, { $0.shape.simplestPolygonal }),
            .categories: rows(d.categories, \.code, \.properties, { _ in nil }),
            .calendar: rows(d.calendar.days, \.date, \.properties, { _ in nil }),
        ]
        addresses = Dictionary(d.addresses.map { a in var a = a; a.gridID = ""; return (a.id, a) },
                               uniquingKeysWith: { a, _ in a })
        districtID = d.districtID
        districtName = d.districtName
    }

    /// The dataset this content describes, checked as a data directory is (but for the
    /// grids' validity when `checkGeometry` is false: a stored version was checked when it was
    /// published); `source` names the store and version in errors.
    public func dataset(version: String, checkGeometry: Bool = true, source: String) throws -> Dataset {
        func features(_ layer: Layer) throws -> [Feature] {
            try (layers[layer] ?? [:]).sorted { $0.key < $1.key }.concurrentMap { _, item in
                let (id, row) = item
                // A stored row that does not decode is the store's fault, not the client's.
                do { return try row.feature(id: id) } catch {
                    throw StoreError(source, "\(layer.rawValue) \(id) does not decode: \(error)", code: .badStoredRow)
                }
            }
        }
        var l = LayerFeatures(outline: try features(.outline), streets: try features(.streets),
                              communities: try features(.communities), grids: try features(.grids),
                              resources: try features(.resources))
        (l.departments, l.units, l.categories) = (try features(.departments), try features(.units),
                                                  try features(.categories))
        l.calendar = try features(.calendar)
        let sorted = (addresses ?? [:]).values.sorted { $0.id < $1.id }
        return try Dataset.assemble(l, addresses: sorted, districtID: districtID,
                                    districtName: districtName, version: version, checkGeometry: checkGeometry,
                                    source: { "\(source) (\($0.rawValue))" })
    }

    /// What turns `self` into `target`, feature by feature.
    public func changes(to target: StoreContent) -> ChangeSet {
        var set = ChangeSet()
        for layer in Layer.featureLayers {
            let old = layers[layer] ?? [:], new = target.layers[layer] ?? [:]
            for (id, row) in new where old[id] != row { set.features[layer, default: [:]][id] = .some(row) }
            for id in old.keys where new[id] == nil { set.features[layer, default: [:]][id] = .some(nil) }
        }
        guard let old = addresses, let new = target.addresses else { return set }
        for (id, a) in new where old[id] != a { set.addresses[id] = .some(a) }
        for id in old.keys where new[id] == nil { set.addresses[id] = .some(nil) }
        return set
    }

    /// This content with `changes` applied.
    public func applying(_ changes: ChangeSet) -> StoreContent {
        var out = self
        for (layer, rows) in changes.features {
            for (id, row) in rows { out.layers[layer, default: [:]][id] = row }
        }
        if out.addresses != nil {
            for (id, a) in changes.addresses { out.addresses![id] = a }
        }
        return out
    }
}

/// What a publish changes: per layer, each feature's new row, or nil where it is removed.
public struct ChangeSet: Sendable {
    public var features: [Layer: [String: FeatureRow?]] = [:]
    public var addresses: [String: Address?] = [:]
    public init() {}

    public var isEmpty: Bool { features.values.allSatisfy(\.isEmpty) && addresses.isEmpty }

    /// Ids of the grids added, changed or removed, in order.
    public var changedGrids: [String] { (features[.grids] ?? [:]).keys.sorted() }

    public var count: Int { features.values.reduce(0) { $0 + $1.count } + addresses.count }

    /// The changes that `base` does not already hold.
    public func filtered(against base: StoreContent) -> ChangeSet {
        var out = ChangeSet()
        for (layer, rows) in features {
            for (id, row) in rows where base.layers[layer]?[id] != row {
                out.features[layer, default: [:]][id] = .some(row)
            }
        }
        for (id, a) in addresses where base.addresses?[id] != a { out.addresses[id] = .some(a) }
        return out
    }
}
