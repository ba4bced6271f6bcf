import GridMapCore
import Hummingbird

/// The case log over HTTP: `GET /api/cases?…` (the filters of `CaseListRequest`,
/// `format=geojson` for the map), `POST /api/cases` (a JSON report), `GET /api/cases/ID` with
/// its history, `POST /api/cases/ID/ACTION` (a JSON body: note, to, due, expect, media,
/// duplicate_of). A reader reports and reads; a planner acts as a dispatcher.
struct CaseRoutes {
    let map: ServedMap

    func add(to router: Router<GridMapRequestContext>) {
        router.get("/api/cases") { request, context in
            try await map.answer(context) { service in
                let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
                let list = try CaseListRequest(pairs)
                return Reply.json(try await offLoop {
                    try list.answer(MapView(service), actor: try Self.actor(context, service))
                })
            }
        }
        // The measures (绩在网中评): by, from, to, attribution, asof, minimum, format (json|csv).
        router.get("/api/stats") { request, context in
            try await map.answer(context) { service in
                let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
                let stats = try CaseStatsRequest(pairs)
                let body = try await offLoop { try stats.answer(MapView(service)) }
                guard stats.format == "csv" else { return Reply.json(body) }
                return Reply.csv(body, name: "stats-\(stats.by.rawValue).csv")
            }
        }
        router.post("/api/cases") { request, context in
            try await map.answer(context) { service in
                let o = try await Self.body(request)
                let place: CaseReportRequest.Place
                if let address = o["address"]?.string {
                    place = .address(address)
                } else {
                    place = .point(try PointQuery(lon: o["lon"]?.idText ?? o["lon"]?.number.map { "\($0)" },
                                                  lat: o["lat"]?.idText ?? o["lat"]?.number.map { "\($0)" },
                                                  crs: o["crs"]?.string))
                }
                let contact = o["contact"]
                let report = try CaseReportRequest(
                    place: place, category: try Parameter.required(o["category"]?.idText, "category"),
                    description: o["description"]?.string ?? "",
                    source: try Self.source(o["source"]?.string),
                    media: o["media"]?.array?.compactMap(\.string) ?? [],
                    contact: CaseContact(name: contact?["name"]?.string, phone: contact?["phone"]?.idText,
                                         email: contact?["email"]?.string),
                    key: o["key"]?.idText, attributes: try CaseAttributes(json: o["attributes"]))
                let actor = try await offLoop { try Self.actor(context, service) }
                // Committed together with reports arriving at once; no thread waits meanwhile.
                let answer = try await report.answerGrouped(MapView(service), actor: actor)
                // A key that already made its case answers that case: 200, as Open311's does.
                let fresh = (try? JSONParser.parse(answer))?["created"] != .bool(false)
                return Reply.json(answer, status: fresh ? .created : .ok)
            }
        }
        router.get("/api/cases/:id") { request, context in
            try await map.answer(context) { service in
                let get = try CaseGetRequest(context.parameters.get("id") ?? "")
                return Reply.json(try await offLoop {
                    try get.answer(MapView(service), actor: try Self.actor(context, service))
                })
            }
        }
        router.post("/api/cases/:id/:action") { request, context in
            try await map.answer(context) { service in
                let o = try await Self.body(request)
                let act = try CaseActRequest(
                    id: context.parameters.get("id") ?? "", action: context.parameters.get("action") ?? "",
                    note: o["note"]?.string, unit: o["to"]?.idText, due: o["due"]?.string,
                    expect: o["expect"]?.idText, media: o["media"]?.array?.compactMap(\.string) ?? [],
                    duplicateOf: o["duplicate_of"]?.idText)
                let actor = try await offLoop { try Self.actor(context, service) }
                return Reply.json(try await act.answerGrouped(MapView(service), actor: actor))
            }
        }
    }

    /// Who acts: an account by its role and unit, a built-in user by its role (read from the
    /// store, so it runs off the event loop).
    static func actor(_ context: GridMapRequestContext, _ service: MapService) throws -> CaseActor {
        try service.cases.actor(role: context.role,
                                user: context.user ?? (context.role >= .planner ? "planner" : "default"))
    }

    static func source(_ text: String?) throws -> CaseSource {
        guard let text else { return .handheld }
        guard let s = CaseSource(rawValue: text.lowercased()) else {
            throw CaseError(.badCase, "unknown source '\(text.prefix(40))'; one of "
                            + CaseSource.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return s
    }

    /// A JSON object body (an empty body is no fields).
    static func body(_ request: Request) async throws -> JSONValue {
        var request = request
        let bytes = try await request.collectBody(upTo: HTTPConfig.maxBodyBytes)
        guard bytes.readableBytes > 0 else { return .object([:]) }
        let parsed: JSONValue
        do { parsed = try JSONParser.parse(String(buffer: bytes)) } catch {
            throw RequestError("the body is not JSON: \(error)", code: .badJson)
        }
        guard case .object = parsed else { throw RequestError("the body is a JSON object", code: .badJson) }
        return parsed
    }
}
