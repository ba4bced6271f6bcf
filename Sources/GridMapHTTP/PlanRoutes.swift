import GridMapCore
import Hummingbird

/// What the planner's page reads (planner role, under `/api/plan/`): the open drafts, a
/// draft's impact (with its changed grids before and after as GeoJSON) and its validation.
/// Each is the engine's report, as `PLAN DRAFTS`, `PLAN IMPACT` and `PLAN VALIDATE` give it.
struct PlanRoutes {
    let map: ServedMap

    func add(to router: Router<GridMapRequestContext>) {
        router.get("/api/plan/drafts") { request, context in
            try await map.answer(context) { service in
                let all = Query(request)["all"] == "1"
                let drafts = try await offLoop { try service.withStore { try Planner(store: $0).drafts(all: all) } }
                return Reply.json(["drafts": .array(drafts.map(\.json))])
            }
        }
        router.get("/api/plan/drafts/:id/impact") { request, context in
            try await map.answer(context) { service in
                let id = try draft(context)
                let report = try await offLoop { try service.withStore { try Planner(store: $0).impact(draft: id) } }
                guard case .object(var o) = report.json else { return Reply.json(report.json) }
                o["changes"] = report.changesGeoJSON
                return Reply.json(.object(o))
            }
        }
        router.get("/api/plan/drafts/:id/validate") { request, context in
            try await map.answer(context) { service in
                let id = try draft(context)
                let report = try await offLoop { try service.withStore { try Planner(store: $0).validate(draft: id) } }
                return Reply.json(report.json)
            }
        }
    }

    private func draft(_ context: GridMapRequestContext) throws -> Int {
        guard let text = context.parameters.get("id"), let id = Int(text) else {
            throw RequestError("a draft is a number")
        }
        return id
    }
}
