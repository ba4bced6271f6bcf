import Foundation
import GridMapCore
import Hummingbird

/// Open311 GeoReport v2 service requests over the case log: `POST requests.{json,xml}`
/// (form-encoded, `api_key`, `service_code`, `lat`/`long` or `address_string`, `description`,
/// `media_url`, the reporter's `first_name`/`last_name`/`email`/`phone`, `attribute[code]`
/// checked against the service definition, `device_id` making a retried POST answer the case
/// it made), `GET requests.{json,xml}` (`service_request_id`, `service_code`, `start_date`,
/// `end_date` (at most 90 days), `status`, `updated_after`/`updated_before`, `page`,
/// `page_size`) and `GET requests/{id}.{json,xml}`. `agency_responsible` is the unit,
/// `expected_datetime` the due time, `status` open or closed from the stage, `status_notes`
/// the last note. A reporter's contact never appears. A case's id is known when the POST is
/// answered; the answer also carries a `token` (`GET tokens/{token}` gives the id back) for
/// clients written for servers that cannot. mySociety's extension `GET servicerequestupdates`
/// lists the stage changes in a window, as FixMyStreet fetches them.
extension Open311Routes {
    static let maxDays = 90
    static let defaultPageSize = 100

    func postRequest(_ request: Request, _ context: GridMapRequestContext, file: String) async throws -> Response {
        let (name, format) = Open311Routes.split(file)
        guard let format, name == "requests" else {
            return Open311Routes.error(.notFound, "reports are POSTed to requests.json or requests.xml",
                                       format: format ?? .json)
        }
        guard let service = map.current else {
            return Open311Routes.error(.serviceUnavailable, "the map is loading", format: format)
        }
        do {
            var request = request
            let bytes = try await request.collectBody(upTo: HTTPConfig.maxBodyBytes)
            let form = try Self.form(String(buffer: bytes))
            // An account's key is `name:secret` (a reporter's, as `gridmap users add` prints it);
            // the reader password alone is the built-in key.
            let given = form.first { $0.0 == "api_key" }?.1 ?? ""
            let account = given.firstIndex(of: ":").map { String(given[..<$0]) }
            let secret = account.map { String(given.dropFirst($0.count + 1)) } ?? given
            // The account the report is made by: only one whose own secret was given.
            var signedIn: String? = nil
            if credentials.required || account != nil {
                var outcome = credentials.authenticate(user: account, password: Array(secret.utf8),
                                                       from: context.client)
                if case .granted = outcome { signedIn = account }
                if outcome == .denied, account != nil, credentials.required {
                    // A reader password may itself hold a ':'.
                    outcome = credentials.authenticate(user: nil, password: Array(given.utf8), from: context.client)
                }
                switch outcome {
                case .granted: break
                case .denied, .throttled:
                    return Open311Routes.error(.forbidden, "api_key is missing or not valid", format: format)
                }
            }
            let report = try reportRequest(form, service.current)
            let by = signedIn
            let actor = try await offLoop {
                try by.map { try service.cases.actor(role: .reader, user: $0) }
                    ?? CaseActor(account: "open311", role: .reporter)
            }
            let answer = try await report.answerGrouped(MapView(service), actor: actor)
            let c = try JSONParser.parse(answer)
            let notice = Self.notice(c, service.current)
            let id = c["id"]?.idText ?? ""
            let fields: [(String, String)] = [("service_request_id", id), ("token", Self.tokenPrefix + id),
                                              ("service_notice", notice), ("account_id", "")]
            return Open311Routes.body(Self.render([fields], format), format,
                                      status: c["created"] == JSONValue.bool(false) ? .ok : .created)
        } catch {
            return Open311Routes.error(error.errorKind.status, error.clientMessage(planner: false), format: format)
        }
    }

    /// The form's fields as a report; a field the specification names but gridmap does not
    /// keep (`account_id`, `address_id`, `jurisdiction_id`) is accepted and left.
    private func reportRequest(_ form: [(String, String)], _ snapshot: Snapshot) throws -> CaseReportRequest {
        var f: [String: String] = [:]
        for (k, v) in form where f[k] == nil { f[k] = v }
        let code = try Parameter.required(f["service_code"], "service_code")
        // `attribute[code]=v`, and a multivaluelist's values as `attribute[code][]=v` (the
        // specification's form) or the field repeated; checked against the definition at intake.
        let attributes = try CaseAttributes(form.compactMap { k, v in
            guard k.hasPrefix("attribute["), k.hasSuffix("]") else { return nil }
            var name = k.dropFirst("attribute[".count).dropLast()
            if name.hasSuffix("][") { name = name.dropLast(2) }
            return CaseAttributes.Pair(String(name), v)
        })
        let place: CaseReportRequest.Place
        if let lat = f["lat"], let lon = f["long"] {
            place = .point(try PointQuery(lon: lon, lat: lat))
        } else if let address = f["address_string"], !address.isEmpty {
            place = .address(address)
        } else {
            throw RequestError("give lat and long, or address_string", code: .missing)
        }
        let name = [f["last_name"], f["first_name"]].compactMap { $0 }.joined()
        // A device's retry of the same report makes no second case.
        let key = f["device_id"].map { device in
            "o311:" + device.prefix(40) + ":" + Self.digest([code, f["lat"] ?? "", f["long"] ?? "",
                                                             f["address_string"] ?? "", f["description"] ?? ""])
        }
        return try CaseReportRequest(
            place: place, category: code, description: f["description"] ?? "", source: .open311,
            media: f["media_url"].map { [$0] } ?? [],
            contact: CaseContact(name: name.isEmpty ? nil : name, phone: f["phone"], email: f["email"]), key: key,
            attributes: attributes)
    }

    func listRequests(_ request: Request, _ service: MapService, _ format: Format) async throws -> Response {
        let q = Query(request)
        var pairs: [(String, String)] = []
        let now = Clock.nowMs
        if let ids = q["service_request_id"] {
            pairs.append(("id", ids))
        } else {
            // The specification's default: the last 90 days; a window of at most 90 days.
            let end = try q["end_date"].map { try CaseParameters.time($0, "end_date") } ?? now
            let start = try q["start_date"].map { try CaseParameters.time($0, "start_date") }
                ?? end - Int64(Self.maxDays) * 86_400_000
            guard end >= start, end - start <= Int64(Self.maxDays) * 86_400_000 else {
                throw RequestError("start_date to end_date is at most \(Self.maxDays) days", code: .outOfRange)
            }
            pairs += [("from", CaseCoding.chinaTime(start)), ("to", CaseCoding.chinaTime(end + 1000))]
        }
        if let code = q["service_code"] { pairs.append(("category", code)) }
        if let status = q["status"] {
            let stages: [CaseStage] = try CaseParameters.list(status).flatMap { s -> [CaseStage] in
                switch s.lowercased() {
                case "open": return CaseStage.allCases.filter(\.isOpen)
                case "closed": return CaseStage.allCases.filter { !$0.isOpen }
                default: throw RequestError("status is open or closed, not '\(s.prefix(20))'", code: .badStatus)
                }
            }
            pairs.append(("stage", stages.map(\.rawValue).joined(separator: ",")))
        }
        if let v = q["updated_after"] { pairs.append(("updated_after", v)) }
        if let v = q["updated_before"] { pairs.append(("updated_before", v)) }
        let size = try q.int("page_size") ?? Self.defaultPageSize, page = try q.int("page") ?? 1
        guard (1...CaseFilter.maxLimit).contains(size), page >= 1 else {
            throw RequestError("page is 1 or more, page_size 1 to \(CaseFilter.maxLimit)", code: .outOfRange)
        }
        pairs += [("limit", String(size)), ("offset", String((page - 1) * size))]
        return try await requests(CaseListRequest(pairs), service, format)
    }

    func oneRequest(_ request: Request, _ context: GridMapRequestContext, file: String) async throws -> Response {
        await resource(file) { id, format, service in
            try await requests(CaseListRequest([("id", id)]), service, format)
        }
    }

    static let tokenPrefix = "gm-"

    /// `GET tokens/{token}.{json,xml}`: the service request a POST's token names.
    func token(_ request: Request, _ context: GridMapRequestContext, file: String) async throws -> Response {
        await resource(file) { token, format, service in
            guard token.hasPrefix(Self.tokenPrefix), let id = Int(token.dropFirst(Self.tokenPrefix.count)), id > 0
            else { throw CaseError(.unknownCase, "no token '\(token.prefix(40))'") }
            let known = try await offLoop { try service.cases.with { try $0.state(id) } } != nil
            guard known else { throw CaseError(.unknownCase, "no token '\(token.prefix(40))'") }
            let rows = [[("service_request_id", String(id)), ("token", token)]]
            return Open311Routes.body(Self.render(rows, format), format)
        }
    }

    /// One resource `NAME.json` or `NAME.xml`: its name and format to `answer`, with the map;
    /// any error as the specification's error list in that format.
    private func resource(_ file: String, _ answer: (String, Format, MapService) async throws -> Response) async
        -> Response
    {
        let (name, format) = Open311Routes.split(file)
        guard let format else {
            return Open311Routes.error(.notFound, "use the .json or .xml form of \(file.prefix(40))", format: .json)
        }
        guard let service = map.current else {
            return Open311Routes.error(.serviceUnavailable, "the map is loading", format: format)
        }
        do { return try await answer(name, format, service) } catch {
            return Open311Routes.error(error.errorKind.status, error.clientMessage(planner: false), format: format)
        }
    }

    static let defaultUpdatesPageSize = 1000

    /// mySociety's `GET servicerequestupdates.{json,xml}`: every stage change (not the reports
    /// themselves) in [`start_date`, `end_date`] (default: the last day; at most 90 days), oldest
    /// first, `page`/`page_size` as for requests. `status` is FixMyStreet's extended status of
    /// the stage the case moved to, `external_status_code` the stage itself.
    func updates(_ request: Request, _ service: MapService, _ format: Format) async throws -> Response {
        let q = Query(request)
        let end = try q["end_date"].map { try CaseParameters.time($0, "end_date") } ?? Clock.nowMs
        let start = try q["start_date"].map { try CaseParameters.time($0, "start_date") } ?? end - 86_400_000
        guard end >= start, end - start <= Int64(Self.maxDays) * 86_400_000 else {
            throw RequestError("start_date to end_date is at most \(Self.maxDays) days", code: .outOfRange)
        }
        let size = try q.int("page_size") ?? Self.defaultUpdatesPageSize, page = try q.int("page") ?? 1
        guard (1...CaseFilter.maxLimit).contains(size), page >= 1 else {
            throw RequestError("page is 1 or more, page_size 1 to \(CaseFilter.maxLimit)", code: .outOfRange)
        }
        let found = try await offLoop {
            try service.cases.with { log in
                try log.updates(fromMs: start, toMs: end + 1, limit: size, offset: (page - 1) * size)
            }
        }
        let rows = found.map { u -> [(String, String)] in
            [("update_id", "\(u.caseID)_\(u.event.seq)"), ("service_request_id", String(u.caseID)),
             ("status", Self.extendedStatus(u.event)), ("external_status_code", u.event.to.rawValue),
             ("updated_datetime", CaseCoding.chinaTime(u.event.atMs)), ("description", u.event.note ?? ""),
             ("media_url", u.event.media.first ?? "")]
        }
        return Open311Routes.body(Self.render(rows, format, list: "service_request_updates", item: "request_update"),
                                  format)
    }

    /// FixMyStreet's extended statuses for the stage an event moved a case to.
    static func extendedStatus(_ e: CaseEvent) -> String {
        switch e.to {
        case .reported: "open"
        case .accepted: "investigating"
        case .dispatched, .deferred: "action_scheduled"
        case .handled: "in_progress"
        case .closed: "fixed"
        case .refused: "no_further_action"
        case .voided: e.duplicateOf == nil ? "closed" : "duplicate"
        }
    }

    private func requests(_ list: CaseListRequest, _ service: MapService, _ format: Format) async throws
        -> Response
    {
        let now = Clock.nowMs
        let records = try await offLoop { () throws -> [CaseRecord] in
            let found = try list.records(MapView(service), nowMs: now)
            // The last note of each: read with its history.
            return try service.cases.with { log in try found.map { try log.record($0.id) } }
        }
        if !list.filter.ids.isEmpty && records.isEmpty && list.filter.ids.count == 1 {
            throw CaseError(.unknownCase, "no service request \(list.filter.ids[0])")
        }
        let snapshot = service.current
        let rows = records.map { Self.fields($0, snapshot) }
        return Open311Routes.body(Self.render(rows, format), format)
    }

    /// A case as GeoReport v2's service request.
    static func fields(_ c: CaseRecord, _ snapshot: Snapshot) -> [(String, String)] {
        let category = snapshot.departmentUnits?.categories[c.report.category]
        let unit = c.state.unit ?? c.report.stamp.unit
        let agency = unit.flatMap { u in snapshot.dataset.units.first { $0.id == u }?.name } ?? c.report.stamp.handledBy
        let note = c.events.last(where: { $0.note != nil })?.note ?? ""
        return [
            ("service_request_id", String(c.id)), ("status", c.state.stage.open311Status),
            ("status_notes", note), ("service_name", category?.name ?? ""), ("service_code", c.report.category),
            ("description", c.report.description), ("agency_responsible", agency), ("service_notice", ""),
            ("requested_datetime", CaseCoding.chinaTime(c.report.reportedMs)),
            ("updated_datetime", CaseCoding.chinaTime(c.state.updatedMs)),
            ("expected_datetime", CaseCoding.chinaTime(c.state.dueMs)),
            ("address", c.report.input["matched"]?.string ?? ""),
            ("address_id", c.report.input["address_id"]?.string ?? ""), ("zipcode", ""),
            ("lat", JSONValue.format(c.report.stamp.lat)), ("long", JSONValue.format(c.report.stamp.lon)),
            ("media_url", c.report.media.first ?? ""),
        ]
    }

    /// Who takes the report and by when, said to the reporter.
    static func notice(_ c: JSONValue, _ snapshot: Snapshot) -> String {
        let unit = c["stamp"]?["unit"]?.string
        let name = unit.flatMap { u in snapshot.dataset.units.first { $0.id == u }?.name } ?? "属地网格"
        return "由\(name)办理，应于\(c["due_at"]?.string ?? "")前办结"
    }

    static func render(_ rows: [[(String, String)]], _ format: Format, list: String = "service_requests",
                       item: String = "request") -> String {
        switch format {
        case .json:
            return JSONValue.array(rows.map { fields in
                .object(JSONObject(fields.map { k, v in
                    (k, ["lat", "long"].contains(k) ? (Double(v).map { .number($0) } ?? .null) : .string(v))
                }))
            }).serialized
        case .xml:
            return xmlDeclaration + "<\(list)>" + rows.map { fields in
                "<\(item)>" + fields.map { "<\($0)>\(xml($1))</\($0)>" }.joined() + "</\(item)>"
            }.joined() + "</\(list)>"
        }
    }

    /// `application/x-www-form-urlencoded`: `+` is a space, then percent-decoding; text that
    /// does not decode is refused.
    static func form(_ body: String) throws -> [(String, String)] {
        try body.split(separator: "&").compactMap { pair -> (String, String)? in
            guard !pair.isEmpty else { return nil }
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) throws -> String {
                guard let d = s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw RequestError("the form does not decode: '\(s.prefix(40))'", code: .badForm)
                }
                return d
            }
            return (try decode(parts[0]), parts.count > 1 ? try decode(parts[1]) : "")
        }
    }

    /// A short stable digest (FNV-1a, 64 bits) of the fields that make a report the same.
    static func digest(_ fields: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in fields.joined(separator: "\u{1F}").utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }
}
