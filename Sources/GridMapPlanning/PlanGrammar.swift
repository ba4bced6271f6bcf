import GridMapCore

/// A draft operation's arguments by name, as a skin received them: HTTP's JSON body, RESP's
/// arguments named by their position (`PlanGrammar.operations`), the CLI's options.
public protocol PlanArguments {
    /// The argument `name`; a missing one is the client's error (`missing`).
    func text(_ name: String) throws -> String
    /// The list `name` (ids); a missing one is the client's error.
    func texts(_ name: String) throws -> [String]
    func optionalText(_ name: String) -> String?
}

/// Arguments held as values: what RESP and the CLI give the grammar.
public struct NamedArguments: PlanArguments, Sendable {
    public var values: [String: [String]]
    public init(_ values: [String: [String]] = [:]) { self.values = values }

    public func text(_ name: String) throws -> String {
        guard let v = values[name]?.first else { throw RequestError("missing \(name)", code: .missing) }
        return v
    }

    public func texts(_ name: String) throws -> [String] {
        guard let v = values[name], !v.isEmpty else { throw RequestError("missing \(name)", code: .missing) }
        return v
    }

    public func optionalText(_ name: String) -> String? { values[name]?.first }
}

/// The planning grammar, once: a draft operation's name and its named arguments into the
/// engine's `PlanRequest`. RESP (`PLAN SPLIT 3 grid line`), HTTP (`POST
/// /api/plan/drafts/3/split {"grid": …, "line": …}`) and the CLI (`gridmap plan split --draft 3
/// --grid … --line …`) each translate their syntax into a name and arguments and call it, so
/// an operation, its arguments and an unknown operation's error are the same in all three.
public enum PlanGrammar {
    /// Every draft operation by its name (HTTP's path segment; RESP's subcommand, upper case
    /// without the underscore; the CLI's subcommand with a hyphen) and its parameters in
    /// RESP's order after the draft. A name ending in `…` takes the rest; one ending in `?`
    /// is optional (RESP names it as an option: `LAYER`, `MESSAGE`).
    public static let operations: [(name: String, parameters: [String])] = [
        ("split", ["grid", "line"]), ("merge", ["grids…"]), ("move_boundary", ["grid", "neighbour", "line"]),
        ("transfer", ["target", "area", "sources…"]), ("move_community", ["grid", "community"]),
        ("set", ["grid", "field", "value"]), ("assign", ["resource", "grid"]), ("unassign", ["resource"]),
        ("replace", ["geojson", "layer?"]), ("publish", ["message?"]), ("discard", []), ("undo", []),
    ]

    /// The operation `name` spells (any case; `move_boundary`, `MOVEBOUNDARY` and
    /// `move-boundary` alike), or nil.
    public static func operation(_ name: String) -> (name: String, parameters: [String])? {
        let key = name.lowercased().filter { $0 != "_" && $0 != "-" }
        return operations.first { $0.name.filter { $0 != "_" } == key }
    }

    public static func unknown(_ name: String) -> RequestError {
        RequestError("unknown planning operation '\(name.prefix(40))'; expected "
                     + operations.map(\.name).joined(separator: ", "), code: .unknownOperation)
    }

    /// Operation `name` on draft `draft` with `a`'s arguments (`source` names the skin in a
    /// replaced layer's log entry).
    public static func request(_ name: String, draft: Int, _ a: some PlanArguments, source: String) throws
        -> PlanRequest
    {
        guard let op = operation(name) else { throw unknown(name) }
        switch op.name {
        case "split": return try .split(draft: draft, grid: try a.text("grid"), line: try a.text("line"))
        case "merge": return try .merge(draft: draft, grids: try a.texts("grids"))
        case "move_boundary":
            return try .moveBoundary(draft: draft, grid: try a.text("grid"), neighbour: try a.text("neighbour"),
                                     line: try a.text("line"))
        case "transfer":
            return try .transfer(draft: draft, target: try a.text("target"), area: try a.text("area"),
                                 sources: try a.texts("sources"))
        case "move_community":
            return try .moveCommunity(draft: draft, grid: try a.text("grid"), community: try a.text("community"))
        case "set":
            return try .set(draft: draft, grid: try a.text("grid"), field: try a.text("field"),
                            value: try a.text("value"))
        case "assign": return try .assign(draft: draft, resource: try a.text("resource"), grid: try a.text("grid"))
        case "unassign": return try .assign(draft: draft, resource: try a.text("resource"), grid: nil)
        case "replace":
            return try .replace(draft: draft, geojson: try a.text("geojson"), source: source,
                                layer: a.optionalText("layer"))
        case "publish": return .publish(draft: try PlanRequest.draft(draft), message: a.optionalText("message"))
        case "discard": return .discard(draft: try PlanRequest.draft(draft))
        default: return .undo(draft: try PlanRequest.draft(draft))
        }
    }

    /// RESP's positional arguments (after the draft) named by the operation's parameters;
    /// optional ones come as options (`LAYER units`, `MESSAGE text`) and are left to the caller.
    public static func named(_ name: String, positional: [String]) throws -> NamedArguments {
        guard let op = operation(name) else { throw unknown(name) }
        var out = NamedArguments()
        var rest = positional[...]
        for p in op.parameters where !p.hasSuffix("?") {
            if p.hasSuffix("…") {
                out.values[String(p.dropLast())] = Array(rest)
                rest = []
            } else if let v = rest.popFirst() {
                out.values[p] = [v]
            }
        }
        return out
    }

    /// RESP's usage line for an operation: `SPLIT draft grid line`.
    public static func usage(_ name: String) -> String {
        guard let op = operation(name) else { return name }
        let words = op.parameters.map { p -> String in
            if p.hasSuffix("…") { return "\(p.dropLast()) [\(p.dropLast()) …]" }
            if p.hasSuffix("?") { return "[\(p.dropLast().uppercased()) \(p.dropLast())]" }
            return p
        }
        return ([op.name.filter { $0 != "_" }.uppercased(), "draft"] + words).joined(separator: " ")
    }
}
