import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// A planning command as every skin sends it (RESP's `PLAN …`, HTTP's `/api/plan/…`,
/// `gridmap plan …`): its parameters read and checked here, answered as JSON by `answer`.
public enum PlanRequest: Sendable {
    case open(name: String)
    case drafts(all: Bool)
    case edit(draft: Int, PlanOperation)
    case validate(Target, ValidationRules)
    case impact(draft: Int, ImpactForm)
    case publish(draft: Int, message: String?)
    case discard(draft: Int)
    /// Removes the draft's last operation.
    case undo(draft: Int)
    /// One draft: what `drafts` lists of it, and its operations (oldest first).
    case show(draft: Int)
    /// The draft's changed grids (GeoJSON) and removed ids; one grid's card in the draft.
    case grids(draft: Int)
    case grid(draft: Int, id: String)
    /// Publishes an earlier version's content anew (a version id or a date).
    case rollback(version: String, message: String?)

    /// What VALIDATE checks: a draft, or a published version (an id or a date).
    public enum Target: Sendable {
        case draft(Int)
        case version(String)
    }

    /// An impact report as JSON, as an SVG picture, or as JSON with the changed grids before and
    /// after as GeoJSON (what the planner's page draws).
    public enum ImpactForm: Sendable { case json, svg, withChanges }

    /// A draft number as a client gives it.
    public static func draft(_ n: Int) throws -> Int {
        guard (1...Int(Int32.max)).contains(n) else {
            throw RequestError("draft must be a number from 1 to \(Int32.max), got \(n)", code: .badDraft)
        }
        return n
    }

    public static func draft(_ text: String) throws -> Int { try draft(try Parameter.integer(text, "draft")) }

    /// A geometry parameter: WKT or GeoJSON, within `GeometryInput`'s limits.
    public static func geometry(_ text: String) throws -> Shape { try GeometryInput.parse(text) }

    public static func split(draft: Int, grid: String, line: String) throws -> PlanRequest {
        .edit(draft: try Self.draft(draft), .split(grid: grid, line: try geometry(line)))
    }

    public static func merge(draft: Int, grids: [String]) throws -> PlanRequest {
        guard grids.count >= 2 else { throw RequestError("merge needs at least two grids", code: .badRequest) }
        return .edit(draft: try Self.draft(draft), .merge(grids: grids))
    }

    public static func moveBoundary(draft: Int, grid: String, neighbour: String, line: String) throws -> PlanRequest {
        .edit(draft: try Self.draft(draft), .moveBoundary(grid: grid, neighbour: neighbour, line: try geometry(line)))
    }

    public static func transfer(draft: Int, target: String, area: String, sources: [String]) throws -> PlanRequest {
        guard !sources.isEmpty else { throw RequestError("transfer needs a grid to take the area from") }
        return .edit(draft: try Self.draft(draft),
                     .transfer(area: try geometry(area), sources: sources, target: target))
    }

    public static func moveCommunity(draft: Int, grid: String, community: String) throws -> PlanRequest {
        .edit(draft: try Self.draft(draft), .moveToCommunity(grid: grid, community: community))
    }

    /// Field names are case-insensitive (`Name`, `HOUSEHOLDS`), the same over every skin.
    public static func set(draft: Int, grid: String, field: String, value: String) throws -> PlanRequest {
        .edit(draft: try Self.draft(draft), .setAttribute(grid: grid, field: field.lowercased(), value: value))
    }

    public static func assign(draft: Int, resource: String, grid: String?) throws -> PlanRequest {
        .edit(draft: try Self.draft(draft), .assign(resource: resource, grid: grid))
    }

    /// The layers a planner may replace whole: the grids (the default) and one network's units.
    public static let replaceableLayers = ["grids", "units"]

    /// A whole grids layer (or, with `layer` "units", the units layer) as GeoJSON text (edited
    /// in QGIS), from `source` (for the log).
    public static func replace(draft: Int, geojson: String, source: String, layer: String? = nil) throws
        -> PlanRequest
    {
        let features: [Feature]
        do { features = try GeoJSON.features(fromText: geojson) } catch {
            throw RequestError("the layer is not GeoJSON: \(error)", code: .badGeojson)
        }
        return .edit(draft: try Self.draft(draft), try replacing(layer, features: features, source: source))
    }

    /// The replace operation for `layer` (nil: grids).
    public static func replacing(_ layer: String?, features: [Feature], source: String) throws -> PlanOperation {
        switch layer?.lowercased() ?? "grids" {
        case "grids": return .replaceGrids(features: features, source: source)
        case "units": return .replaceUnits(features: features, source: source)
        default:
            throw RequestError("layer '\(layer!.prefix(40))' cannot be replaced; replace one of "
                               + replaceableLayers.joined(separator: ", "), code: .badLayer)
        }
    }

    public static func validate(draft: Int?, version: String?, sliverArea: String?, households: String?) throws
        -> PlanRequest
    {
        let rules = try ValidationRules(sliverArea: sliverArea, households: households)
        switch (draft, version) {
        case (let d?, nil): return .validate(.draft(try Self.draft(d)), rules)
        case (nil, let v): return .validate(.version(v ?? "current"), rules)
        default: throw RequestError("give a draft or a version, not both")
        }
    }

    /// Whether the answer needs the server to make a new version current.
    public var publishes: Bool {
        switch self {
        case .publish, .rollback: true
        default: false
        }
    }

    /// A validation's report (the CLI prints it as a table too).
    public static func report(_ target: Target, _ rules: ValidationRules, _ planner: Planner) throws
        -> ValidationReport
    {
        planner.rules = rules
        switch target {
        case .draft(let id): return try planner.validate(draft: id)
        case .version(let v):
            let version = try planner.store { v == "current" ? try $0.head() : try $0.resolve(asOf: v) }
            return try planner.validate(version: version)
        }
    }

    /// The answer, on `planner`'s store; `author` is recorded on what it opens or publishes.
    public func answer(_ planner: Planner, author: String) throws -> [UInt8] {
        switch self {
        case .publish(_, let message?), .rollback(_, let message?):
            // Kept in the history and shown on pages: stored as sent or refused, never cut at a NUL.
            if let problem = DisplayText.problem(message, "a version's message", lines: true) {
                throw PlanError(.badMessage, problem)
            }
        default: break
        }
        let json: JSONValue
        switch self {
        case .open(let name): json = try planner.open(name: name, author: author).json
        case .drafts(let all): json = ["drafts": .array(try planner.drafts(all: all).map(\.json))]
        case .edit(let id, let op): json = try planner.apply(op, to: id)
        case .validate(let target, let rules): json = try PlanRequest.report(target, rules, planner).json
        case .impact(let id, let form):
            let report = try planner.impact(draft: id)
            switch form {
            case .json: json = report.json
            case .svg: return Array(report.svg.utf8)
            case .withChanges:
                // The page draws the changed grids before and after from the same answer.
                guard case .object(var o) = report.json else { return Array(report.json.serialized.utf8) }
                o["changes"] = report.changesGeoJSON
                json = .object(o)
            }
        case .publish(let id, let message): json = try planner.publish(draft: id, author: author, message: message).json
        case .undo(let id): json = try planner.undo(draft: id)
        case .grids(let id): json = try planner.changedGrids(draft: id)
        case .grid(let id, let gid): json = try planner.gridCard(draft: id, grid: gid)
        case .show(let id):
            let info = try planner.draft(id)
            guard case .object(var o) = info.json else { return Array(info.json.serialized.utf8) }
            // The log without what undo keeps (rows and geometry a page does not show).
            o["log"] = .array(info.log.map { entry in
                var e = entry.object ?? [:]
                for key in ["undo", "line", "area"] { e[key] = nil }
                return .object(e)
            })
            json = .object(o)
        case .discard(let id):
            try planner.discard(draft: id)
            json = ["discarded": JSONValue(id)]
        case .rollback(let v, let message):
            let store = planner.store
            json = try store { try $0.rollback(to: try $0.resolve(asOf: v), author: author, message: message) }.json
        }
        return Array(json.serialized.utf8)
    }
}

extension MapService {
    /// A planning request against the served store, which it reads and writes a call at a
    /// time (the lock is never held while it computes); a publish makes its version current
    /// before it answers.
    public func answer(_ request: PlanRequest, author: String) throws -> [UInt8] {
        if request.publishes { return try publishing { try request.answer(Planner(store: $0), author: author) } }
        return try request.answer(Planner(store: try serialStore()), author: author)
    }

    /// A request that publishes (`request.publishes`), answered with no thread waiting for
    /// the watcher: the servers' way (`answer` is the CLI's, where nothing watches).
    public func publish(_ request: PlanRequest, author: String) async throws -> [UInt8] {
        try await publishing { try request.answer(Planner(store: $0), author: author) }
    }
}
