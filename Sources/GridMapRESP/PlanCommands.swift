import GridMapCore
import GridMapStores
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
        guard subcommands.contains(sub) else {
            throw CommandError(
                "unknown PLAN subcommand '\(sub.prefix(20))'; expected "
                    + subcommands.joined(separator: ", "), code: "ERR syntax error:")
        }
        func need(_ n: Int, _ usage: String) throws {
            guard a.count >= n + 1 else { throw CommandError("usage: PLAN \(sub) \(usage)", code: "ERR syntax error:") }
        }
        func draft() throws -> Int { try PlanRequest.draft(try a.text(1)) }
        func rest(from i: Int) throws -> [String] { try (i..<a.count).map { try a.text($0) } }
        switch sub {
        case "OPEN":
            try need(1, "name")
            return .open(name: try a.text(1))
        case "DRAFTS":
            guard try a.count == 1 || (a.count == 2 && a.text(1).uppercased() == "ALL") else {
                throw CommandError("usage: PLAN DRAFTS [ALL]", code: "ERR syntax error:")
            }
            return .drafts(all: a.count == 2)
        case "SPLIT":
            try need(3, "draft grid line")
            return try .split(draft: try draft(), grid: try a.text(2), line: try a.text(3))
        case "MERGE":
            try need(2, "draft grid grid [grid …]")
            return try .merge(draft: try draft(), grids: try rest(from: 2))
        case "MOVEBOUNDARY":
            try need(4, "draft grid neighbour line")
            return try .moveBoundary(draft: try draft(), grid: try a.text(2), neighbour: try a.text(3),
                                     line: try a.text(4))
        case "TRANSFER":
            try need(4, "draft target area source [source …]")
            return try .transfer(draft: try draft(), target: try a.text(2), area: try a.text(3),
                                 sources: try rest(from: 4))
        case "MOVECOMMUNITY":
            try need(3, "draft grid community")
            return try .moveCommunity(draft: try draft(), grid: try a.text(2), community: try a.text(3))
        case "SET":
            try need(4, "draft grid field value")
            return try .set(draft: try draft(), grid: try a.text(2), field: try a.text(3), value: try a.text(4))
        case "ASSIGN":
            try need(3, "draft resource grid")
            return try .assign(draft: try draft(), resource: try a.text(2), grid: try a.text(3))
        case "UNASSIGN":
            try need(2, "draft resource")
            return try .assign(draft: try draft(), resource: try a.text(2), grid: nil)
        case "REPLACE":
            try need(2, "draft geojson [LAYER grids|units]")
            let o = try a.options(from: 3, allowed: ["LAYER"])
            return try .replace(draft: try draft(), geojson: try a.text(2), source: "PLAN REPLACE",
                                layer: try o["LAYER"].map { try a.text($0) })
        case "VALIDATE":
            try need(1, "draft|VERSION v [SLIVER m2] [HOUSEHOLDS min-max]")
            let byVersion = (try a.text(1)).uppercased() == "VERSION"
            if byVersion { try need(2, "VERSION v [SLIVER m2] [HOUSEHOLDS min-max]") }
            let o = try a.options(from: byVersion ? 3 : 2, allowed: ["SLIVER", "HOUSEHOLDS"])
            return try .validate(draft: byVersion ? nil : try draft(), version: byVersion ? try a.text(2) : nil,
                                 sliverArea: try o["SLIVER"].map { try a.text($0) },
                                 households: try o["HOUSEHOLDS"].map { try a.text($0) })
        case "IMPACT":
            guard try a.count == 2 || (a.count == 3 && a.text(2).uppercased() == "SVG") else {
                throw CommandError("usage: PLAN IMPACT draft [SVG]", code: "ERR syntax error:")
            }
            return .impact(draft: try draft(), a.count == 3 ? .svg : .json)
        case "PUBLISH":
            try need(1, "draft [MESSAGE text]")
            let o = try a.options(from: 2, allowed: ["MESSAGE"])
            return .publish(draft: try draft(), message: try o["MESSAGE"].map { try a.text($0) })
        case "UNDO":
            try need(1, "draft")
            return .undo(draft: try draft())
        case "SHOW":
            try need(1, "draft")
            return .show(draft: try draft())
        case "GRIDS":
            try need(1, "draft")
            return .grids(draft: try draft())
        case "GRID":
            try need(2, "draft grid")
            return .grid(draft: try draft(), id: try a.text(2))
        default:  // DISCARD
            try need(1, "draft")
            return .discard(draft: try draft())
        }
    }
}
