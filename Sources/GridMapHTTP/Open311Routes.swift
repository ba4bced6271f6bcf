import GridMapCore
import GridMapNetwork
import Hummingbird
import GridMapPlanning

/// Open311 GeoReport v2 discovery, so that city systems built for that convention read the
/// catalogue: `GET /open311/v2/services.{json,xml}` (the service list) and
/// `GET /open311/v2/services/{service_code}.{json,xml}` (a service definition), each with an
/// optional `jurisdiction_id`. Field names are the specification's; errors are its error list
/// (`[{"code": 404, "description": …}]`, `<errors><error>…</error></errors>`), mapped here once.
/// Reader role, as `/api`. Service requests (the case log), tokens and mySociety's
/// `servicerequestupdates` are `Open311Requests.swift`.
struct Open311Routes {
    let map: ServedMap
    let credentials: Credentials
    /// The route a report is POSTed to (`requests.json`, `requests.xml`), and its endpoint
    /// path as the router names it to middleware.
    static let requestsPattern = "/open311/v2/:file"
    static let requestsEndpoint = "/open311/v2/{file}"

    func add(to router: Router<GridMapRequestContext>) {
        router.get("/open311/v2/:file") { request, context in
            try await answer(request, context, file: context.parameters.get("file") ?? "", services: nil)
        }
        router.get("/open311/v2/services/:file") { request, context in
            try await answer(request, context, file: context.parameters.get("file") ?? "", services: true)
        }
        router.get("/open311/v2/requests/:file") { request, context in
            try await oneRequest(request, context, file: context.parameters.get("file") ?? "")
        }
        router.get("/open311/v2/tokens/:file") { request, context in
            try await token(request, context, file: context.parameters.get("file") ?? "")
        }
        router.post(RouterPath(Self.requestsPattern)) { request, context in
            try await postRequest(request, context, file: context.parameters.get("file") ?? "")
        }
    }

    private func answer(_ request: Request, _ context: GridMapRequestContext, file: String, services: Bool?)
        async throws -> Response
    {
        let (name, format) = Open311Routes.split(file)
        guard let format else {
            return Open311Routes.error(.notFound, "use the .json or .xml form of \(file.prefix(40))", format: .json)
        }
        guard let service = map.current else {
            return Open311Routes.error(.serviceUnavailable, "the map is loading", format: format)
        }
        let q = Query(request)
        do {
            let snapshot = service.current
            if services == nil {
                if name == "requests" { return try await listRequests(request, service, format) }
                if name == "servicerequestupdates" { return try await updates(request, service, format) }
                guard name == "services" else {
                    return Open311Routes.error(.notFound, "no such resource '\(file.prefix(40))'", format: format)
                }
                let all = try CatalogueRequest(jurisdiction: q["jurisdiction_id"]).categories(snapshot)
                return Open311Routes.body(Open311Routes.services(all, snapshot, format), format)
            }
            let one = try CatalogueRequest(jurisdiction: q["jurisdiction_id"], code: name).categories(snapshot)
            return Open311Routes.body(Open311Routes.definition(one[0], format), format)
        } catch {
            return Open311Routes.error(error.errorKind.status, error.clientMessage(planner: false), format: format)
        }
    }

    enum Format { case json, xml }

    static func split(_ file: String) -> (String, Format?) {
        if file.hasSuffix(".json") { return (String(file.dropLast(5)), .json) }
        if file.hasSuffix(".xml") { return (String(file.dropLast(4)), .xml) }
        return (file, nil)
    }

    /// GeoReport v2's service list: service_code, service_name, description, metadata, type,
    /// keywords, group.
    static func services(_ categories: [Category], _ snapshot: Snapshot, _ format: Format) -> String {
        let entries: [[(String, String)]] = categories.map { c in
            [("service_code", c.code), ("service_name", c.name),
             ("description", CatalogueRequest.description(c, snapshot)),
             ("metadata", c.attributes.isEmpty ? "false" : "true"),
             ("type", "realtime"), ("keywords", c.keywords.joined(separator: ",")), ("group", c.group)]
        }
        switch format {
        case .json:
            return JSONValue.array(entries.map { fields in
                .object(JSONObject(fields.map { k, v in (k, k == "metadata" ? .bool(v == "true") : .string(v)) }))
            }).serialized
        case .xml:
            return xmlDeclaration + "<services>" + entries.map { fields in
                "<service>" + fields.map { "<\($0)>\(xml($1))</\($0)>" }.joined() + "</service>"
            }.joined() + "</services>"
        }
    }

    /// A service definition: its code and its attributes (the category's, from the catalogue).
    static func definition(_ c: Category, _ format: Format) -> String {
        switch format {
        case .json:
            return JSONValue.object(["service_code": .string(c.code),
                                     "attributes": .array(c.attributes.map(\.json))]).serialized
        case .xml:
            return xmlDeclaration + "<service_definition><service_code>\(xml(c.code))</service_code><attributes>"
                + c.attributes.map(xml).joined() + "</attributes></service_definition>"
        }
    }

    /// One attribute in the specification's XML: its fields in its order, a list's values
    /// as `<values><value><key/><name/></value>…</values>`.
    static func xml(_ a: ServiceAttribute) -> String {
        let fields: [(String, String)] = [
            ("variable", "true"), ("code", a.code), ("datatype", a.datatype.rawValue),
            ("required", a.required ? "true" : "false"), ("datatype_description", a.datatypeDescription),
            ("order", String(a.order)), ("description", a.description),
        ]
        let values = a.datatype.isList ? "<values>" + a.values.map {
            "<value><key>\(xml($0.key))</key><name>\(xml($0.name))</name></value>"
        }.joined() + "</values>" : ""
        return "<attribute>" + fields.map { "<\($0)>\(xml($1))</\($0)>" }.joined() + values + "</attribute>"
    }

    static let xmlDeclaration = #"<?xml version="1.0" encoding="utf-8"?>"#

    static func xml(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 has no place for most control characters: left out.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r" { continue }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func body(_ text: String, _ format: Format, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: format == .json ? "application/json; charset=utf-8"
                                                                           : "text/xml; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// GeoReport v2's error list, with the HTTP status.
    static func error(_ status: HTTPResponse.Status, _ description: String, format: Format) -> Response {
        let text: String
        switch format {
        case .json:
            text = JSONValue.array([["code": JSONValue(Int(status.code)), "description": .string(description)]])
                .serialized
        case .xml:
            text = xmlDeclaration + "<errors><error><code>\(status.code)</code><description>\(xml(description))"
                + "</description></error></errors>"
        }
        return body(text, format, status: status)
    }
}
