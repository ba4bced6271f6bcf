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

    /// Every other planning request by its name and its named parameters (`?`: optional): what
    /// opens a draft, reads one or a version, and rolls back. Each skin names its arguments so
    /// (RESP by position, HTTP by path and query, the CLI by option) and calls `read`.
    public static let reads: [(name: String, parameters: [String])] = [
        ("open", ["name"]), ("drafts", ["all?"]), ("show", ["draft"]), ("grids", ["draft"]),
        ("grid", ["draft", "grid"]),
        ("impact", ["draft", "form?"]), ("validate", ["draft?", "version?", "sliver?", "households?"]),
        ("rollback", ["version", "message?"]),
    ]

    /// The read, open or rollback `name` names with `a`'s arguments: the one place their
    /// arguments become a request (`impact`'s `form` is json, svg or changes; `drafts`'s `all`
    /// is a flag, 1/true/all or 0/false).
    public static func read(_ name: String, _ a: some PlanArguments) throws -> PlanRequest {
        switch name.lowercased() {
        case "open": return .open(name: try a.text("name"))
        case "drafts": return .drafts(all: try flag(a.optionalText("all"), "all"))
        case "show": return .show(draft: try PlanRequest.draft(try a.text("draft")))
        case "grids": return .grids(draft: try PlanRequest.draft(try a.text("draft")))
        case "grid": return .grid(draft: try PlanRequest.draft(try a.text("draft")), id: try a.text("grid"))
        case "impact":
            let form: PlanRequest.ImpactForm
            switch a.optionalText("form")?.lowercased() ?? "json" {
            case "json": form = .json
            case "svg": form = .svg
            case "changes": form = .withChanges
            case let other:
                throw RequestError("form is json, svg or changes, not '\(Parameter.shown(other))'", code: .badFormat)
            }
            return .impact(draft: try PlanRequest.draft(try a.text("draft")), form)
        case "validate":
            return try .validate(draft: try a.optionalText("draft").map(PlanRequest.draft),
                                 version: a.optionalText("version"), sliverArea: a.optionalText("sliver"),
                                 households: a.optionalText("households"))
        case "rollback": return .rollback(version: try a.text("version"), message: a.optionalText("message"))
        default: throw unknown(name)
        }
    }

    /// A yes-or-no argument (absent: no).
    private static func flag(_ text: String?, _ name: String) throws -> Bool {
        switch text?.lowercased() {
        case nil, "0", "false", "no": return false
        case "1", "true", "yes", "all": return true
        case let other?: throw RequestError("\(name) is 1 or 0, not '\(Parameter.shown(other))'", code: .badFlag)
        }
    }

    /// Any planning request: a draft operation (its draft among the arguments, `draft`) or a read.
    public static func request(_ name: String, _ a: some PlanArguments, source: String) throws -> PlanRequest {
        guard operation(name) != nil else { return try read(name, a) }
        return try request(name, draft: try PlanRequest.draft(try a.text("draft")), a, source: source)
    }

    /// The operation `name` spells (any case; `move_boundary`, `MOVEBOUNDARY` and
    /// `move-boundary` alike), or nil.
    public static func operation(_ name: String) -> (name: String, parameters: [String])? {
        let key = name.lowercased().filter { $0 != "_" && $0 != "-" }
        return operations.first { $0.name.filter { $0 != "_" } == key }
    }

    public static func unknown(_ name: String) -> RequestError {
        RequestError("unknown planning operation '\(name.prefix(40))'; expected "
                     + (operations + reads).map(\.name).joined(separator: ", "), code: .unknownOperation)
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
