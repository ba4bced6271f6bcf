/// A draft's map being edited: its base version's dataset with the draft's grids and
/// resources. Edit operations (`PlanOperations.swift`) change it; `changes` is what a
/// publish would write. A value: an operation works on a copy, so one that fails leaves the
/// draft as it was.
public struct PlanMap: Sendable {
    /// The base version (without addresses).
    public let base: Dataset
    public private(set) var grids: [String: Grid]
    public private(set) var resources: [String: Resource]
    /// One network's units (departments' areas), redrawn by replacing the layer.
    public private(set) var units: [String: ResponsibilityUnit]
    /// The district's outline: it gains a vertex where a new boundary meets it, so that the
    /// grids along it keep the same vertices as the outline.
    public internal(set) var outline: Shape
    public let communities: [String: Community]
    let baseGrids: [String: Grid]
    let baseResources: [String: Resource]
    let baseUnits: [String: ResponsibilityUnit]
    /// Ids edited since the base, kept to compute `changes` without comparing everything.
    private(set) var touchedGrids: Set<String> = []
    private(set) var touchedResources: Set<String> = []
    private(set) var touchedUnits: Set<String> = []
    /// Bounding boxes of the current grids, for finding neighbours.
    private var boxes: [String: BoundingBox]

    public init(base: Dataset) {
        self.base = base
        baseGrids = Dictionary(base.grids.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        baseResources = Dictionary(base.resources.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        baseUnits = Dictionary(base.units.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        grids = baseGrids
        resources = baseResources
        units = baseUnits
        outline = base.outline
        communities = Dictionary(base.communities.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        boxes = baseGrids.compactMapValues(\.shape.bounds)
    }

    /// The base with a draft's stored rows applied.
    init(base: Dataset, rows: ChangeSet) throws {
        self.init(base: base)
        for (id, row) in rows.features[.grids] ?? [:] {
            try put(grid: row.map { try Dataset.grid(try $0.feature(id: id), 0, "draft") }, id: id)
        }
        for (id, row) in rows.features[.resources] ?? [:] {
            try put(resource: row.map { try Dataset.resource(try $0.feature(id: id), 0, "draft") }, id: id)
        }
        for (id, row) in rows.features[.units] ?? [:] {
            try put(unit: row.map { try Dataset.unit(try $0.feature(id: id), 0, "draft") }, id: id)
        }
        if let row = rows.features[.outline]?["outline"], let shape = try row?.feature(id: "outline").geometry {
            outline = shape
        }
    }

    /// On a rebase: the outline vertices the draft added (against `oldBase`), added to this
    /// map's base outline instead of replacing it.
    mutating func rebaseOutline(from oldBase: Shape) {
        let added = Set(outline.allCoordinates).subtracting(oldBase.allCoordinates)
        outline = PlanMap.outline(base.outline, with: added)
    }

    mutating func put(grid: Grid?, id: String) {
        grids[id] = grid
        boxes[id] = grid?.shape.bounds
        touchedGrids.insert(id)
    }

    mutating func put(resource: Resource?, id: String) {
        resources[id] = resource
        touchedResources.insert(id)
    }

    mutating func put(unit: ResponsibilityUnit?, id: String) {
        units[id] = unit
        touchedUnits.insert(id)
    }

    public func grid(_ id: String) throws -> Grid {
        guard let g = grids[id] else { throw PlanError.unknownGrid(id) }
        return g
    }

    /// Grids whose bounding box meets `box`.
    func grids(near box: BoundingBox) -> [String] {
        boxes.compactMap { id, b in b.intersects(box) ? id : nil }.sorted()
    }

    /// What publishing this draft writes: each edited grid and resource whose row differs
    /// from the base's.
    public var changes: ChangeSet {
        var set = ChangeSet()
        for id in touchedGrids {
            let now = grids[id].map(PlanMap.row)
            let was = baseGrids[id].map(PlanMap.row)
            if now != was { set.features[.grids, default: [:]][id] = .some(now) }
        }
        for id in touchedResources {
            let now = resources[id].map(PlanMap.row)
            let was = baseResources[id].map(PlanMap.row)
            if now != was { set.features[.resources, default: [:]][id] = .some(now) }
        }
        for id in touchedUnits {
            let now = units[id].map(PlanMap.row)
            let was = baseUnits[id].map(PlanMap.row)
            if now != was { set.features[.units, default: [:]][id] = .some(now) }
        }
        if outline != base.outline { set.features[.outline] = ["outline": PlanMap.outlineRow(outline)] }
        return set
    }

    static func outlineRow(_ shape: Shape) -> FeatureRow {
        FeatureRow(Feature(id: "outline", properties: ["id": "outline"], geometry: shape.simplestPolygonal))
    }

    static func row(_ g: Grid) -> FeatureRow {
        FeatureRow(Feature(id: g.id, properties: g.properties, geometry: g.shape.simplestPolygonal))
    }

    static func row(_ u: ResponsibilityUnit) -> FeatureRow {
        FeatureRow(Feature(id: u.id, properties: u.properties, geometry: u.shape.simplestPolygonal))
    }

    static func row(_ r: Resource) -> FeatureRow {
        FeatureRow(Feature(id: r.id, properties: r.storedProperties, geometry: .point(r.location)))
    }

    /// The grids changed against the base (added, redrawn, re-attributed or removed).
    public var changedGrids: [String] { changes.changedGrids }

    /// The draft as a dataset: the base's layers with this draft's grids and resources, and
    /// community and street shapes and counts derived again where grids changed.
    public func dataset() throws -> Dataset {
        var d = base
        d.outline = outline
        d.grids = grids.keys.sorted().map { grids[$0]! }
        d.resources = resources.keys.sorted().map { resources[$0]! }
        d.units = units.keys.sorted().map { units[$0]! }
        var communities = Set<String>()
        var streets = Set<String>()
        for id in changedGrids {
            for g in [baseGrids[id], grids[id]].compactMap({ $0 }) {
                communities.insert(g.communityID)
                streets.insert(g.streetID)
            }
        }
        // An invalid grid (a QGIS layer can hold one) cannot be unioned into its community:
        // the draft is then shown with the base's community shapes, and validation reports the
        // grid, which keeps it from being published.
        return (try? d.derivingShapes(communities: communities, streets: streets)) ?? d
    }

    /// Staff (grid workers, enforcement) assigned to grid `id`.
    func staff(of id: String) -> [Resource] {
        resources.values.filter { $0.gridID == id }.sorted { $0.id < $1.id }
    }
}

extension Grid {
    /// The grid with properties set (nil removes one) and perhaps a new shape, its typed
    /// fields read again from its properties.
    func updating(_ edits: [String: JSONValue?], shape: Shape? = nil) throws -> Grid {
        var p = properties
        for (k, v) in edits.sorted(by: { $0.key < $1.key }) { p[k] = v }
        let id = p["id"]?.idText ?? self.id
        return try Dataset.grid(Feature(id: id, properties: p, geometry: shape ?? self.shape), 0, "draft")
    }
}

extension Resource {
    /// The resource assigned to grid `id` (nil: unassigned).
    func assigned(to id: String?) -> Resource {
        var r = self
        r.gridID = id
        r.properties["grid_id"] = id.map { .string($0) }
        return r
    }
}
