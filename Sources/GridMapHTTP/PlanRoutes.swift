import GridMapCore
import GridMapNetwork
import Hummingbird
import GridMapPlanning

/// Planning over HTTP (planner role, under `/api/plan/`), each endpoint the engine's
/// `PlanRequest` as RESP's `PLAN` and `gridmap plan` send it:
/// - `GET /api/plan/drafts[?all=1]`; `POST /api/plan/drafts` `{"name": …}` opens one;
/// - `GET /api/plan/drafts/ID/impact[?changes=1|svg=1]`, `GET …/validate[?sliver=&households=]`,
///   `GET /api/plan/versions/V/validate`;
/// - `POST /api/plan/drafts/ID/OP` with a JSON object of OP's parameters: `split` {grid, line},
///   `merge` {grids}, `move_boundary` {grid, neighbour, line}, `transfer` {target, area, sources},
///   `move_community` {grid, community}, `set` {grid, field, value}, `assign` {resource, grid},
///   `unassign` {resource}, `replace` {geojson}, `publish` {message?}, `discard` {}, `undo` {};
///   `GET /api/plan/drafts/ID`: the draft and its operations; `GET …/grids`: its changed grids;
///   `GET …/grids/GRID`: one grid's card in the draft.
struct PlanRoutes {
    let map: ServedMap

    func add(to router: Router<GridMapRequestContext>) {
        // The planner's words for the engine's codes: the page's one source for them.
        router.get("/api/plan/texts") { _, _ in Reply.json(Array(PlannerTexts.json.serialized.utf8)) }
        router.get("/api/plan/drafts") { request, context in
            try await map.answer(context) { service in
                try await plan(try read("drafts", ["all": Query(request)["all"]]), service, context)
            }
        }
        router.post("/api/plan/drafts") { request, context in
            try await map.answer(context) { service in
                let body = try await Body(request)
                return try await plan(try read("open", ["name": try body.text("name")]), service, context,
                                      author: body.optionalText("author"))
            }
        }
        router.get("/api/plan/drafts/:id") { _, context in
            try await map.answer(context) { service in
                try await plan(try read("show", ["draft": context.parameters.get("id")]), service, context)
            }
        }
        router.get("/api/plan/drafts/:id/grids") { _, context in
            try await map.answer(context) { service in
                try await plan(try read("grids", ["draft": context.parameters.get("id")]), service, context)
            }
        }
        router.get("/api/plan/drafts/:id/grids/:grid") { _, context in
            try await map.answer(context) { service in
                try await plan(try read("grid", ["draft": context.parameters.get("id"),
                                                 "grid": context.parameters.get("grid")]), service, context)
            }
        }
        router.get("/api/plan/drafts/:id/impact") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                let form = q["svg"] == "1" ? "svg" : q["changes"] == "1" ? "changes" : "json"
                return try await plan(try read("impact", ["draft": context.parameters.get("id"), "form": form]),
                                      service, context, svg: form == "svg")
            }
        }
        router.get("/api/plan/drafts/:id/validate") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                return try await plan(try read("validate", ["draft": context.parameters.get("id"),
                                                            "sliver": q["sliver"], "households": q["households"]]),
                                      service, context)
            }
        }
        router.get("/api/plan/versions/:version/validate") { request, context in
            try await map.answer(context) { service in
                let q = Query(request)
                return try await plan(try read("validate", ["version": context.parameters.get("version"),
                                                            "sliver": q["sliver"], "households": q["households"]]),
                                      service, context)
            }
        }
        router.post("/api/plan/versions/:version/rollback") { request, context in
            try await map.answer(context) { service in
                let body = try await Body(request)
                return try await plan(try read("rollback", ["version": context.parameters.get("version"),
                                                            "message": body.optionalText("message")]),
                                      service, context)
            }
        }
        router.post("/api/plan/drafts/:id/:op") { request, context in
            try await map.answer(context) { service in
                let body = try await Body(request)
                return try await plan(try edit(context.parameters.get("op") ?? "", try draft(context), body),
                                      service, context, author: body.optionalText("author"))
            }
        }
    }

    /// A read's name and the arguments the path, query and body gave (nil: not given): the one
    /// grammar.
    private func read(_ name: String, _ arguments: [String: String?]) throws -> PlanRequest {
        try PlanGrammar.read(name, NamedArguments(arguments.compactMapValues { $0.map { [$0] } }))
    }

    /// An operation's name and parameters as the engine's request: the one grammar.
    private func edit(_ op: String, _ id: Int, _ b: Body) throws -> PlanRequest {
        try PlanGrammar.request(op, draft: id, b, source: "HTTP")
    }

    /// `author`: the name the page gives (`open`, `publish`), else who signed in.
    private func plan(_ request: PlanRequest, _ service: MapService, _ context: GridMapRequestContext,
                      svg: Bool = false, author named: String? = nil) async throws -> Response {
        let author = try Credentials.author(named: named, user: context.user)
        // A publish is queued for the watcher and awaited; other requests run on the thread pool.
        let bytes = request.publishes
            ? try await service.publish(request, author: author)
            : try await offLoop { try service.answer(request, author: author) }
        guard svg else { return Reply.json(bytes) }
        return Response(status: .ok, headers: [.contentType: "image/svg+xml"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func draft(_ context: GridMapRequestContext) throws -> Int {
        try PlanRequest.draft(context.parameters.get("id") ?? "")
    }
}

/// A planning request's JSON body: an object of its parameters.
private struct Body: PlanArguments {
    let object: JSONObject

    init(_ request: Request) async throws {
        var request = request
        let bytes = try await request.collectBody(upTo: HTTPConfig.maxPlanningBodyBytes)
        guard bytes.readableBytes > 0 else { object = [:]; return }
        guard case .object(let o) = try JSONParser.parse(String(buffer: bytes)) else {
            throw RequestError("the body must be a JSON object of the operation's parameters", code: .badJson)
        }
        object = o
    }

    func text(_ name: String) throws -> String {
        guard let v = object[name] else { throw RequestError("missing \(name)", code: .missing) }
        if let s = v.string { return s }
        // A geometry may come as GeoJSON itself rather than as text.
        if case .object = v { return v.serialized }
        throw RequestError("\(name) must be a string", code: .badRequest)
    }

    func optionalText(_ name: String) -> String? { object[name]?.string }

    func texts(_ name: String) throws -> [String] {
        guard case .array(let list)? = object[name] else {
            throw RequestError("\(name) must be an array of ids", code: .missing)
        }
        return try list.map { v in
            guard let s = v.string else { throw RequestError("\(name) must be an array of ids", code: .badRequest) }
            return s
        }
    }
}
