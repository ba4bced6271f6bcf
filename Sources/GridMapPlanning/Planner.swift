import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapStores
import GridMapCore

/// Planning on a versioned store: drafts opened from the current version, edited, validated,
/// measured for impact, and published through the store's publish (or discarded). The one
/// engine behind every skin's planning. It reads what it needs from the store, computes on
/// its own, and writes under the store's checks (a draft's revision, a publish's parent), so
/// a server hands it a store that locks per call and the GEOS work holds no lock.
public final class Planner {
    public let store: SerialStore
    public var rules = ValidationRules()

    public init(store: SerialStore) { self.store = store }

    /// Planning on `store` alone (one-off commands, tests): nothing else may use it meanwhile.
    public convenience init(store: any VersionedStore) { self.init(store: SerialStore(store)) }

    /// Opens a draft from the current version.
    public func open(name: String, author: String) throws -> DraftInfo {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 200 else {
            throw PlanError(.badName, "a draft needs a name (1 to 200 characters)")
        }
        if let problem = DisplayText.problem(name, "a draft's name") { throw PlanError(.badName, problem) }
        return try store { try $0.createDraft(name: name, author: author, base: try $0.head()) }
    }

    /// The open drafts (all of them, published and discarded too, with `all`).
    public func drafts(all: Bool = false) throws -> [DraftInfo] {
        try store { try $0.draftInfos(all: all) }
    }

    public func draft(_ id: Int) throws -> DraftInfo { try store { try $0.draftInfo(id) } }

    /// A draft's map as it stands, with what its operations need. The base's addresses are
    /// never read whole (at 100× they are most of the store): operations and the impact report
    /// ask the store for those in the box of the grids they change.
    /// Without `codes` the codes ever used are not read (views and reports make no grid).
    func load(_ id: Int, codes: Bool = true) throws -> (DraftInfo, PlanMap, PlanContext) {
        let (info, map, context, _) = try loadWithRows(id, codes: codes)
        return (info, map, context)
    }

    /// `load`, with the draft's stored rows as read.
    func loadWithRows(_ id: Int, codes: Bool = true) throws -> (DraftInfo, PlanMap, PlanContext, ChangeSet) {
        let info = try store { try $0.draftInfo(id) }
        guard info.status == "open" else {
            throw PlanError(
                .draftClosed,
                "draft \(id) is \(info.status)\(info.publishedVersion.map { " as version \($0)" } ?? "")")
        }
        let base = try store { try $0.dataset(version: info.base, addresses: false) }
        let rows = try store { try $0.draftRows(id) }
        let map = try PlanMap(base: base, rows: rows)
        // Codes held by other open drafts are taken too: two drafts never make the same code.
        let used = codes ? try store { s in Set(try s.gridCodeHistory().keys).union(try s.gridCodesInDrafts()) } : []
        let store = self.store, version = info.base
        let context = PlanContext(
            codes: GridCodes(everUsed: used),
            addresses: { box in try store { try $0.addresses(version: version, in: box) }.map(\.location) },
            minimumArea: rules.sliverArea)
        return (info, map, context, rows)
    }

    /// Applies one operation to a draft and saves it; answers what it did.
    @discardableResult
    public func apply(_ op: PlanOperation, to id: Int) throws -> JSONValue {
        var (info, map, context, before) = try loadWithRows(id)
        let result = try map.apply(op, context: context)
        var entry = op.json.object ?? JSONObject()
        entry["at"] = .string(VersionInfo.iso(Clock.nowMs))
        entry["result"] = .object(result)
        let changes = map.changes
        entry["undo"] = DraftUndo.record(before: before, after: changes)
        try store { try $0.saveDraft(info, rows: changes, entry: .object(entry)) }
        var out = result
        out["draft"] = JSONValue(id)
        out["changed_grids"] = JSONValue(changes.changedGrids.count)
        return .object(out)
    }

    /// Validates a draft against its rules and its base.
    public func validate(draft id: Int) throws -> ValidationReport {
        let (info, map, _) = try load(id, codes: false)
        return try Validator.validate(try map.dataset(), rules: rules, base: map.base, moves: Planner.moves(info.log))
    }

    /// Validates a published version (the whole map).
    public func validate(version v: Int) throws -> ValidationReport {
        try Validator.validate(try store { try $0.dataset(version: v, addresses: false) }, rules: rules)
    }

    /// Publishes an imported map (a data directory or a GeoPackage edited in QGIS) as the next
    /// version, validated by the same rules as a draft's publish against the current version:
    /// refused with the findings when it has errors, unless `force`, which publishes it anyway
    /// and records in the version's message that it did, and how many errors it had.
    public func importVersion(_ dataset: Dataset, author: String, message: String, force: Bool = false) throws
        -> (VersionInfo, ValidationReport)
    {
        let current = try store { try $0.dataset(version: try $0.head(), addresses: false) }
        let report = try Planner.checkImport(dataset, rules: rules, base: current)
        var message = message
        if !report.isPublishable {
            guard force else { throw Planner.refusal(report, what: "the import") }
            message += " (published with --force despite \(report.errors.count) validation error(s))"
        }
        let head = try store { try $0.head() }
        let changes = try store { try $0.content(version: head, addresses: true) }
            .changes(to: StoreContent(dataset.derivingShapes()))
        let (all, next) = try Publication.complete(changes, parent: head, store: store)
        return (try store {
            try $0.publish(all, parent: head, author: author, message: message, closing: nil, dataset: next)
        },
                report)
    }

    /// The import's findings, or a refusal naming the first errors.
    static func checkImport(_ dataset: Dataset, rules: ValidationRules, base: Dataset?) throws -> ValidationReport {
        try Validator.validate(try dataset.derivingShapes(), rules: rules, base: base)
    }

    static func refusal(_ report: ValidationReport, what: String) -> PlanError {
        let first = report.errors.prefix(3).map(\.message).joined(separator: "; ")
        return PlanError(.invalid, "\(what) has \(report.errors.count) validation error(s): \(first)",
                         ids: Array(Set(report.errors.flatMap(\.grids))).sorted())
    }

    /// Creates a store from `dataset` as its version 1, validated as an import is.
    public static func createStore(path: String, from dataset: Dataset, author: String, message: String,
                                   force: Bool = false) throws -> (any VersionedStore, ValidationReport) {
        let report = try checkImport(dataset, rules: ValidationRules(), base: nil)
        var message = message
        if !report.isPublishable {
            guard force else { throw refusal(report, what: "the import") }
            message += " (published with --force despite \(report.errors.count) validation error(s))"
        }
        return (try Stores.create(path, from: dataset, author: author, message: message), report)
    }

    /// Whom the draft affects, against its base.
    public func impact(draft id: Int) throws -> ImpactReport {
        let (info, map, _) = try load(id, codes: false)
        let store = self.store
        return try ImpactReport.measure(
            base: map.base, baseVersion: info.base, draft: try map.dataset(),
            changed: map.changedGrids,
            addresses: { box in try store { try $0.addresses(version: info.base, in: box) } })
    }

    /// Publishes a draft as the next version. When versions were published since its base,
    /// it is rebased if none of them changed a grid or resource that it changes (or staff of
    /// a grid it changes), and refused with those ids otherwise. Refused too when validation
    /// finds errors. The version is written and the draft closed in one transaction.
    public func publish(draft id: Int, author: String, message: String? = nil) throws -> VersionInfo {
        let info = try store { try $0.draftInfo(id) }
        guard info.status == "open" else { throw PlanError(.draftClosed, "draft \(id) is \(info.status)") }
        let rows = try store { try $0.draftRows(id) }
        let edited = Set(rows.features.values.flatMap(\.keys)).subtracting(["outline"])
        guard !edited.isEmpty else { throw PlanError(.emptyDraft, "draft \(id) changes nothing") }
        let head = try store { try $0.head() }
        let current = try store { try $0.dataset(version: head, addresses: false) }
        var map = try PlanMap(base: current, rows: rows)
        if head != info.base {
            let since = try store { try $0.changedIDs(since: info.base, layers: [.grids, .resources, .units]) }
            var conflicts = edited.intersection(since)
            // Staff assigned since to (or away from) a grid this draft changes.
            let grids = Set(rows.features[.grids]?.keys.map { $0 } ?? [])
            let then = try store { try $0.dataset(version: info.base, addresses: false) }
            let before = Dictionary(then.resources.map { ($0.id, $0.gridID) }, uniquingKeysWith: { a, _ in a })
            for r in current.resources where since.contains(r.id) {
                if let g = r.gridID, grids.contains(g) { conflicts.insert(r.id) }
                if let g = before[r.id] ?? nil, grids.contains(g) { conflicts.insert(r.id) }
            }
            guard conflicts.isEmpty else {
                throw PlanError(
                    .conflict,
                    "versions \(info.base + 1)…\(head) changed what draft \(id) changes too: "
                        + conflicts.sorted().joined(separator: ", ") + "; open a new draft and redo the edits",
                    ids: conflicts.sorted())
            }
            // The vertices the draft added to the outline, added to the current outline.
            map.rebaseOutline(from: then.outline)
        }
        let report = try Validator.validate(
            try map.dataset(), rules: rules, base: current, moves: Planner.moves(info.log))
        guard report.isPublishable else { throw Planner.refusal(report, what: "draft \(id)") }
        let (all, next) = try Publication.complete(map.changes, parent: head, store: store)
        let text = message ?? "draft \(id): \(info.name)"
        return try store {
            try $0.publish(all, parent: head, author: author, message: text, closing: (id, info.revision),
                           dataset: next)
        }
    }

    public func discard(draft id: Int) throws { try store { try $0.discardDraft(id) } }

    /// Publishes `changes` made elsewhere (a tool's, a test's) on top of the current version,
    /// under planning's rules (`Publication`), without a draft or validation.
    @discardableResult
    public func publish(_ changes: ChangeSet, parent: Int, author: String, message: String) throws -> VersionInfo {
        let (all, next) = try Publication.complete(changes, parent: parent, store: store)
        return try store {
            try $0.publish(all, parent: parent, author: author, message: message, closing: nil, dataset: next)
        }
    }

    /// Writes a draft's grids for editing in QGIS: GeoJSON (`.geojson`, `.json`) or a
    /// GeoPackage of the whole draft map (`.gpkg`, layer `grids`).
    public func export(draft id: Int, to path: String) throws {
        let (_, map, _) = try load(id, codes: false)
        let d = try map.dataset()
        if path.hasSuffix(".gpkg") {
            // Written beside and renamed over: a failed write leaves the old file as it was.
            let partial = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
            try? FileManager.default.removeItem(atPath: partial)
            do { try GeoPackageFiles.write(d, to: partial) } catch {
                try? FileManager.default.removeItem(atPath: partial)
                throw error
            }
            guard rename(partial, path) == 0 else {
                throw StoreError(path, "cannot write: \(String(cString: strerror(errno)))", code: .writeFailed)
            }
        } else {
            let features = d.grids.map { Feature(id: $0.id, properties: $0.properties, geometry: $0.shape) }
            try Data(GeoJSON.text(features).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }

    /// The grids layer of a file a planner edited: GeoJSON or a GeoPackage's `grids` layer.
    public static func gridFeatures(at path: String) throws -> [Feature] { try features(at: path, layer: .grids) }

    /// A layer's features from a GeoJSON file, or that layer of a GeoPackage.
    public static func features(at path: String, layer: Layer) throws -> [Feature] {
        if path.hasSuffix(".gpkg") { return try GeoPackageFiles.features(layer, at: path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError.data(path, "cannot read the file")
        }
        do { return try GeoJSON.features(fromText: String(decoding: data, as: UTF8.self)) } catch {
            throw StoreError.data(path, "\(error)")
        }
    }

    /// The whole-grid community moves recorded in a draft's log.
    static func moves(_ log: [JSONValue]) -> [CommunityMove] {
        log.compactMap { entry in
            guard entry["op"]?.string == "move_community", let r = entry["result"],
                let area = r["area"], let shape = try? GeoJSON.shape(area),
                let from = r["from_community"]?.string, let to = r["to_community"]?.string
            else { return nil }
            return CommunityMove(shape: shape, from: from, to: to)
        }
    }
}
