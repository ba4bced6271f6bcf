import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// One edit of a draft, as the engine, the CLI and RESP name it (docs/PROTOCOL.md, "Planning").
public enum PlanOperation: Sendable {
    /// Cut a grid along a line into two or more new grids, coded by the sequence rule.
    case split(grid: String, line: Shape)
    /// Join adjacent grids of one community into the one with the lowest code.
    case merge(grids: [String])
    /// Replace the boundary stretch between two grids by a line with the same end points.
    case moveBoundary(grid: String, neighbour: String, line: Shape)
    /// Hand the part of `area` inside `sources` to the neighbouring grid `target`.
    case transfer(area: Shape, sources: [String], target: String)
    /// Move a grid to another community (re-coded; community and street shapes follow).
    case moveToCommunity(grid: String, community: String)
    /// Set a grid's name, households or population.
    case setAttribute(grid: String, field: String, value: String)
    /// Assign a grid worker or enforcement officer to a grid (nil: unassign).
    case assign(resource: String, grid: String?)
    /// Replace the draft's grids with a layer edited elsewhere (QGIS), feature by feature.
    case replaceGrids(features: [Feature], source: String)
    /// Replace the draft's units (one network's areas) with a layer edited elsewhere (QGIS).
    case replaceUnits(features: [Feature], source: String)

    /// The attributes a planner may set with `setAttribute`.
    public static let settableFields = ["name", "households", "population"]

    public var name: String {
        switch self {
        case .split: "split"
        case .merge: "merge"
        case .moveBoundary: "move_boundary"
        case .transfer: "transfer"
        case .moveToCommunity: "move_community"
        case .setAttribute: "set"
        case .assign(_, let grid): grid == nil ? "unassign" : "assign"
        case .replaceGrids: "replace"
        case .replaceUnits: "replace_units"
        }
    }

    /// What the draft's log records of it (geometry as WKT-free GeoJSON, sources by name).
    public var json: JSONValue {
        var o: JSONObject = ["op": .string(name)]
        func ids(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }
        switch self {
        case .split(let g, let line):
            o["grid"] = .string(g)
            o["line"] = GeoJSON.json(line)
        case .merge(let gs): o["grids"] = ids(gs)
        case .moveBoundary(let a, let b, let line):
            o["grid"] = .string(a)
            o["neighbour"] = .string(b)
            o["line"] = GeoJSON.json(line)
        case .transfer(let area, let sources, let target):
            o["area"] = GeoJSON.json(area)
            o["sources"] = ids(sources)
            o["target"] = .string(target)
        case .moveToCommunity(let g, let c):
            o["grid"] = .string(g)
            o["community"] = .string(c)
        case .setAttribute(let g, let f, let v):
            o["grid"] = .string(g)
            o["field"] = .string(f)
            o["value"] = .string(v)
        case .assign(let r, let g):
            o["resource"] = .string(r)
            o["grid"] = g.map { .string($0) } ?? .null
        case .replaceGrids(let features, let source), .replaceUnits(let features, let source):
            o["source"] = .string(source)
            o["features"] = JSONValue(features.count)
        }
        return .object(o)
    }
}
