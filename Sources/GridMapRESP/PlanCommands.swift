import GridMapCore
import GridMapPlanning

/// PLAN subcommand …: drafts of the map for planners (docs/PROTOCOL.md, "Planning"). Each
/// subcommand's arguments become a `PlanRequest`, answered on the thread pool; PUBLISH goes
/// through the service's publish, so the new version is served as any other.
enum PlanCommands {
    static let subcommands = [
        "OPEN", "DRAFTS", "SPLIT", "MERGE", "MOVEBOUNDARY", "TRANSFER", "MOVECOMMUNITY", "SET",
        "ASSIGN", "UNASSIGN", "REPLACE", "VALIDATE", "IMPACT", "PUBLISH", "DISCARD", "UNDO", "SHOW", "GRIDS", "GRID",
    ]

    static func plan(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let request = try self.request(a)
        let service = s.service, author = s.user
        if request.publishes { return s.awaiting { .bulkString(try await service.publish(request, author: author)) } }
        return s.offLoop { .bulkString(try service.answer(request, author: author)) }
    }

    /// The subcommand's arguments as the engine's request.
    static func request(_ a: Arguments) throws -> PlanRequest {
        let sub = try a.text(0).uppercased()
        // A draft operation: its arguments named by position, then the one grammar.
        if let op = PlanGrammar.operation(sub) { return try operation(op, a) }
        guard subcommands.contains(sub) else { throw PlanGrammar.unknown(try a.text(0)) }
        func need(_ n: Int, _ usage: String) throws {
            guard a.count >= n + 1 else { throw CommandError("usage: PLAN \(sub) \(usage)", code: "ERR syntax error:") }
        }
        // The other requests: RESP's syntax named, then the one grammar (`PlanGrammar.read`).
        var named = NamedArguments()
        switch sub {
        case "OPEN":
            try need(1, "name")
            named.values["name"] = [try a.text(1)]
        case "DRAFTS":
            guard try a.count == 1 || (a.count == 2 && a.text(1).uppercased() == "ALL") else {
                throw CommandError("usage: PLAN DRAFTS [ALL]", code: "ERR syntax error:")
            }
            if a.count == 2 { named.values["all"] = ["1"] }
        case "VALIDATE":
            try need(1, "draft|VERSION v [SLIVER m2] [HOUSEHOLDS min-max]")
            let byVersion = (try a.text(1)).uppercased() == "VERSION"
            if byVersion { try need(2, "VERSION v [SLIVER m2] [HOUSEHOLDS min-max]") }
            let o = try a.options(from: byVersion ? 3 : 2, allowed: ["SLIVER", "HOUSEHOLDS"])
            named.values[byVersion ? "version" : "draft"] = [try a.text(byVersion ? 2 : 1)]
            if let k = o["SLIVER"] { named.values["sliver"] = [try a.text(k)] }
            if let k = o["HOUSEHOLDS"] { named.values["households"] = [try a.text(k)] }
        case "IMPACT":
            guard try a.count == 2 || (a.count == 3 && a.text(2).uppercased() == "SVG") else {
                throw CommandError("usage: PLAN IMPACT draft [SVG]", code: "ERR syntax error:")
            }
            named.values["draft"] = [try a.text(1)]
            if a.count == 3 { named.values["form"] = ["svg"] }
        case "SHOW", "GRIDS":
            try need(1, "draft")
            named.values["draft"] = [try a.text(1)]
        case "GRID":
            try need(2, "draft grid")
            named.values["draft"] = [try a.text(1)]
            named.values["grid"] = [try a.text(2)]
        default:
            throw PlanGrammar.unknown(try a.text(0))
        }
        return try PlanGrammar.read(sub, named)
    }

    /// `PLAN OP draft arg …`: the positional arguments named by the operation's parameters,
    /// optional ones as options (`LAYER units`, `MESSAGE text`), then `PlanGrammar`.
    static func operation(_ op: (name: String, parameters: [String]), _ a: Arguments) throws -> PlanRequest {
        let required = op.parameters.filter { !$0.hasSuffix("?") }
        let optional = op.parameters.filter { $0.hasSuffix("?") }.map { String($0.dropLast()) }
        let takesRest = required.last?.hasSuffix("…") ?? false
        // The subcommand, the draft, the required arguments (at least one for a list).
        guard a.count >= 2 + required.count else {
            throw CommandError("usage: PLAN \(PlanGrammar.usage(op.name))", code: "ERR syntax error:")
        }
        let end = takesRest ? a.count : 2 + required.count
        var named = try PlanGrammar.named(op.name, positional: try (2..<end).map { try a.text($0) })
        if !optional.isEmpty {
            let o = try a.options(from: end, allowed: optional.map { $0.uppercased() })
            for name in optional {
                if let i = o[name.uppercased()] { named.values[name] = [try a.text(i)] }
            }
        } else if end < a.count {
            throw CommandError("usage: PLAN \(PlanGrammar.usage(op.name))", code: "ERR syntax error:")
        }
        return try PlanGrammar.request(op.name, draft: try Parameter.integer(try a.text(1), "draft"), named,
                                       source: "PLAN \(op.name.filter { $0 != "_" }.uppercased())")
    }
}
