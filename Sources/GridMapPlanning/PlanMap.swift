import Synchronization
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

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

    /// The base's dictionaries, shared by every draft on that version.
    private let start: PlanBase

    public init(base: Dataset) {
        self.base = base
        start = PlanBase.of(base)
        baseGrids = start.grids
        baseResources = start.resources
        baseUnits = start.units
        grids = baseGrids
        resources = baseResources
        units = baseUnits
        outline = base.outline
        communities = start.communities
        boxes = start.boxes
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
        d.grids = PlanMap.merged(base.grids, grids, touched: touchedGrids, id: \.id)
        d.resources = PlanMap.merged(base.resources, resources, touched: touchedResources, id: \.id)
        d.units = PlanMap.merged(base.units, units, touched: touchedUnits, id: \.id)
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

    /// Staff (grid workers, enforcement) assigned to grid `id`: the base's, by its index, with
    /// the draft's edits (a resource touched may have come or gone).
    func staff(of id: String) -> [Resource] {
        var ids = Set(start.staff[id] ?? [])
        for t in touchedResources {
            if resources[t]?.gridID == id { ids.insert(t) } else { ids.remove(t) }
        }
        return ids.compactMap { resources[$0] }.filter { $0.gridID == id }.sorted { $0.id < $1.id }
    }

    /// Every item of `current` in id order, made from `base` (in id order, as a store gives
    /// it) by replacing only the `touched` ids: linear, where sorting 541,000 resources' ids at
    /// 100× took a third of a second. A base out of order is sorted as a whole.
    static func merged<T>(_ base: [T], _ current: [String: T], touched: Set<String>, id: (T) -> String) -> [T] {
        guard zip(base, base.dropFirst()).allSatisfy({ id($0) < id($1) }) else {
            return current.keys.sorted().map { current[$0]! }
        }
        if touched.isEmpty { return base }
        let edited = touched.sorted().compactMap { current[$0] }
        var out: [T] = []
        out.reserveCapacity(base.count + edited.count)
        var k = 0
        for item in base where !touched.contains(id(item)) {
            while k < edited.count, id(edited[k]) < id(item) { out.append(edited[k]); k += 1 }
            out.append(item)
        }
        out.append(contentsOf: edited[k...])
        return out
    }
}

/// What every draft on one base version starts from: its grids, resources, units and
/// communities by id, the grids' boxes and the staff by grid. Made once per version and
/// shared (at 100×, hashing 67,400 grids and 541,000 resources was a third of each planning
/// request's time); a PlanMap copies a dictionary only when it edits it.
final class PlanBase: Sendable {
    /// What `holds` compares: the version and the arrays the dictionaries were made from (not
    /// the whole dataset, which may carry addresses this cache has no use for).
    private let version: String
    private let arrays: (grids: [Grid], resources: [Resource], units: [ResponsibilityUnit], communities: [Community])
    let grids: [String: Grid]
    let resources: [String: Resource]
    let units: [String: ResponsibilityUnit]
    let communities: [String: Community]
    let boxes: [String: BoundingBox]
    /// Resource ids by the grid they are assigned to.
    let staff: [String: [String]]

    init(_ base: Dataset) {
        version = base.version
        arrays = (base.grids, base.resources, base.units, base.communities)
        func byID<T>(_ items: [T], _ id: (T) -> String) -> [String: T] {
            Dictionary(items.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
        }
        enum Part {
            case resources([String: Resource], [String: [String]]), rest([String: Grid], [String: BoundingBox])
        }
        // The resources (541,000 at 100×) on one core, the grids on another (a one-off CLI
        // command makes this once, and waits for it). Each part reads `base` and writes its own.
        let parts = Parallel.map(2, parts: 2) { p, _ -> Part in
            if p == 0 {
                var staff: [String: [String]] = [:]
                for r in base.resources { if let g = r.gridID { staff[g, default: []].append(r.id) } }
                return .resources(byID(base.resources, \.id), staff)
            }
            let grids = byID(base.grids, \.id)
            return .rest(grids, grids.compactMapValues(\.shape.bounds))
        }
        guard case .resources(let resources, let staff) = parts[0], case .rest(let grids, let boxes) = parts[1] else {
            preconditionFailure("Parallel.map returns its parts in order")
        }
        (self.resources, self.staff, self.grids, self.boxes) = (resources, staff, grids, boxes)
        units = byID(base.units, \.id)
        communities = byID(base.communities, \.id)
    }

    /// The bases last made, newest last: two, as drafts on the head and on the version before
    /// it (until their publish rebases them) are edited side by side.
    private static let kept = Mutex<[PlanBase]>([])
    static let keep = 2

    /// The base for `dataset`: a kept one when `dataset` is the very same (its version, and its
    /// arrays' storage: a store hands out its cached dataset), else made now (outside the lock:
    /// two requests on a new version may both make it; both are correct).
    static func of(_ dataset: Dataset) -> PlanBase {
        if let hit = kept.withLock({ list in list.last { $0.holds(dataset) } }) { return hit }
        let made = PlanBase(dataset)
        kept.withLock { list in
            list.append(made)
            if list.count > keep { list.removeFirst() }
        }
        return made
    }

    private func holds(_ d: Dataset) -> Bool {
        func same<T>(_ a: [T], _ b: [T]) -> Bool {
            a.count == b.count && a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in pa.baseAddress == pb.baseAddress }
            }
        }
        // The same storage is the same content: this base holds that storage alive, so its
        // address cannot be reused by another array meanwhile.
        return d.version == version && same(d.grids, arrays.grids) && same(d.resources, arrays.resources)
            && same(d.units, arrays.units) && same(d.communities, arrays.communities)
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
