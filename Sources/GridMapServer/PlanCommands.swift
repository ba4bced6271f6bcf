import GridMapCore

/// PLAN subcommand …: drafts of the map for planners (docs/PROTOCOL.md, "Planning"). Every
/// subcommand runs on the thread pool with the store's connection; PUBLISH goes through the
/// store's publish, so the new version is served as any other.
enum PlanCommands {
    static let subcommands = [
        "OPEN", "DRAFTS", "SPLIT", "MERGE", "MOVEBOUNDARY", "TRANSFER", "MOVECOMMUNITY", "SET",
        "ASSIGN", "UNASSIGN", "REPLACE", "VALIDATE", "IMPACT", "PUBLISH", "DISCARD",
    ]

    static func plan(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let sub = try a.text(0).uppercased()
        guard subcommands.contains(sub) else {
            throw CommandError(
                "unknown PLAN subcommand '\(sub.prefix(20))'; expected "
                    + subcommands.joined(separator: ", "), code: "ERR syntax error:")
        }
        let service = s.service
        let user = s.user
        func need(_ n: Int, _ usage: String) throws {
            guard a.count >= n + 1 else { throw CommandError("usage: PLAN \(sub) \(usage)") }
        }
        func draft() throws -> Int { try a.integer(1, "draft", in: 1...Int(Int32.max)) }
        func geometry(_ i: Int) throws -> Shape {
            do { return try GeometryInput.parse(try a.text(i)) } catch let e as GeometryError {
                throw CommandError(e.message)
            }
        }
        /// An edit: parsed here, applied off the loop.
        func edit(_ op: PlanOperation) throws -> RESPValue {
            let id = try draft()
            return s.offLoop { .bulk(try service.withStore { try Planner(store: $0).apply(op, to: id) }.serialized) }
        }
        switch sub {
        case "OPEN":
            try need(1, "name")
            let name = try a.text(1)
            return s.offLoop {
                .bulk(try service.withStore { try Planner(store: $0).open(name: name, author: user) }.json.serialized)
            }
        case "DRAFTS":
            guard try a.count == 1 || (a.count == 2 && a.text(1).uppercased() == "ALL") else {
                throw CommandError("usage: PLAN DRAFTS [ALL]")
            }
            let all = a.count == 2
            return s.offLoop {
                .bulk(
                    JSONValue.array(try service.withStore { try Planner(store: $0).drafts(all: all) }.map(\.json))
                        .serialized)
            }
        case "SPLIT":
            try need(3, "draft grid line")
            return try edit(.split(grid: try a.text(2), line: try geometry(3)))
        case "MERGE":
            try need(3, "draft grid grid [grid …]")
            return try edit(.merge(grids: try (2..<a.count).map { try a.text($0) }))
        case "MOVEBOUNDARY":
            try need(4, "draft grid neighbour line")
            return try edit(.moveBoundary(grid: try a.text(2), neighbour: try a.text(3), line: try geometry(4)))
        case "TRANSFER":
            try need(4, "draft target area source [source …]")
            return try edit(
                .transfer(
                    area: try geometry(3), sources: try (4..<a.count).map { try a.text($0) },
                    target: try a.text(2)))
        case "MOVECOMMUNITY":
            try need(3, "draft grid community")
            return try edit(.moveToCommunity(grid: try a.text(2), community: try a.text(3)))
        case "SET":
            try need(4, "draft grid field value")
            return try edit(.setAttribute(grid: try a.text(2), field: try a.text(3).lowercased(), value: try a.text(4)))
        case "ASSIGN":
            try need(3, "draft resource grid")
            return try edit(.assign(resource: try a.text(2), grid: try a.text(3)))
        case "UNASSIGN":
            try need(2, "draft resource")
            return try edit(.assign(resource: try a.text(2), grid: nil))
        case "REPLACE":
            try need(2, "draft geojson")
            let text = try a.text(2)
            let features: [Feature]
            do { features = try GeoJSON.features(fromText: text) } catch {
                throw CommandError("the layer is not GeoJSON: \(error)")
            }
            return try edit(.replaceGrids(features: features, source: "PLAN REPLACE"))
        case "VALIDATE":
            try need(1, "draft|VERSION v [SLIVER m2] [HOUSEHOLDS min-max]")
            let byVersion = (try a.text(1)).uppercased() == "VERSION"
            let target = byVersion ? try a.text(2) : String(try draft())
            let o = try a.options(from: byVersion ? 3 : 2, allowed: ["SLIVER", "HOUSEHOLDS"])
            let rules = try ValidationRules(
                sliverArea: try o["SLIVER"].map { try a.text($0) },
                households: try o["HOUSEHOLDS"].map { try a.text($0) })
            return s.offLoop {
                .bulk(
                    try service.withStore { store in
                        let planner = Planner(store: store)
                        planner.rules = rules
                        return byVersion
                            ? try planner.validate(version: try store.resolve(asOf: target))
                            : try planner.validate(draft: Int(target)!)
                    }.json.serialized)
            }
        case "IMPACT":
            guard try a.count == 2 || (a.count == 3 && a.text(2).uppercased() == "SVG") else {
                throw CommandError("usage: PLAN IMPACT draft [SVG]")
            }
            let id = try draft()
            let svg = a.count == 3
            return s.offLoop {
                let report = try service.withStore { try Planner(store: $0).impact(draft: id) }
                return .bulk(svg ? report.svg : report.json.serialized)
            }
        case "PUBLISH":
            try need(1, "draft [MESSAGE text]")
            let id = try draft()
            let o = try a.options(from: 2, allowed: ["MESSAGE"])
            let message = try o["MESSAGE"].map { try a.text($0) }
            return s.offLoop {
                .bulk(
                    try service.publishing { try Planner(store: $0).publish(draft: id, author: user, message: message) }
                        .json.serialized)
            }
        default:  // DISCARD
            try need(1, "draft")
            let id = try draft()
            return s.offLoop {
                try service.withStore { try Planner(store: $0).discard(draft: id) }
                return .simpleString("OK")
            }
        }
    }
}
