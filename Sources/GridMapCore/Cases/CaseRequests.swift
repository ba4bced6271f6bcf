import GridMapGeometry
import GridMapModel
import GridMapStore

/// Who acts on a case: an account and its role there. Until accounts are kept in the store,
/// the built-in ones map as: a planner dispatches, a reader reports.
public struct CaseActor: Sendable {
    public let account: String
    public let role: CaseRole
    public let unit: String?
    public init(account: String, role: CaseRole, unit: String? = nil) {
        (self.account, self.role, self.unit) = (account, role, unit)
    }
    /// Only dispatchers see a reporter's contact and the whole route.
    public var seesContacts: Bool { role == .dispatcher }
    public static func builtIn(_ role: Role, user: String) -> CaseActor {
        CaseActor(account: user, role: role >= .planner ? .dispatcher : .reporter)
    }
}

/// A report as any skin sends it: where (a point in a CRS, or a typed address), what (a
/// category of the catalogue), and what the reporter says. Stamped at intake with what the
/// map says then (`intake`).
public struct CaseReportRequest: Sendable {
    public static let maxDescription = 4000
    public enum Place: Sendable {
        case point(PointQuery)
        case address(String)
    }
    /// Below this geocoding score a typed address is placed, but flagged for a dispatcher.
    public static let placingScore = 0.9

    public let place: Place
    public let category: String
    public let description: String
    public let source: CaseSource
    public let media: [String]
    public let contact: CaseContact
    public let key: String?
    public let attributes: CaseAttributes

    public init(place: Place, category: String, description: String = "", source: CaseSource = .handheld,
                media: [String] = [], contact: CaseContact = CaseContact(), key: String? = nil,
                attributes: CaseAttributes? = nil) throws {
        self.attributes = try attributes ?? CaseAttributes()
        guard !category.isEmpty else { throw CaseError(.missingField, "missing category: a code of the catalogue") }
        self.place = place
        self.category = category
        self.description = try CaseText.plain(description, "the description", max: Self.maxDescription, lines: true)
        self.source = source
        self.media = try CaseText.media(media)
        self.contact = CaseContact(
            name: try CaseText.optional(contact.name, "the contact's name", max: 50),
            phone: try contact.phone.flatMap { p -> String? in
                let t = p.trimmingCharacters(in: .whitespaces)
                guard !t.isEmpty else { return nil }
                guard t.count <= 20, t.allSatisfy({ $0.isASCII && ($0.isNumber || "+- ()".contains($0)) }) else {
                    throw CaseError(.badCase, "a phone number is digits, +, -, spaces: '\(Parameter.shown(t))'")
                }
                return t
            },
            email: try contact.email.flatMap { e -> String? in
                let t = e.trimmingCharacters(in: .whitespaces)
                guard !t.isEmpty else { return nil }
                guard t.count <= 100, t.contains("@"), !t.contains(where: { $0 == "<" || $0 == ">" || $0 == " " })
                else { throw CaseError(.badCase, "not an email address: '\(Parameter.shown(t))'") }
                return t
            })
        if let key {
            guard (1...100).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw CaseError(.badCase, "an idempotency key is 1 to 100 printable ASCII characters")
            }
        }
        self.key = key
    }

    /// The report stamped with the live map: the point in WGS 84, its grid, community and
    /// street, the route (ROUTE's answer: the unit or the 属地 chain and its basis), the
    /// near-border flag and the due time from the category's limit.
    /// A `historic` report (an import of another system's records) is not held to the
    /// attributes the catalogue requires now; the answers it gives are still checked.
    public func intake(_ map: MapView, nowMs: Int64, historic: Bool = false) throws -> CaseReport {
        let snapshot = map.current
        let p: Coordinate, input: JSONValue, needsPlacing: Bool
        switch place {
        case .point(let q):
            p = try q.wgs84()
            input = ["lon": JSONValue(q.input.x), "lat": JSONValue(q.input.y),
                     "crs": .string(try q.crs().description)]
            needsPlacing = false
        case .address(let text):
            let geocoder = try snapshot.geocoder
            guard case .addresses(let found) = try geocoder.geocode(text, limit: 1), let best = found.first else {
                throw RequestError("no standard address matches '\(text.prefix(60))': give a point",
                                   code: .addressNotFound)
            }
            p = best.point
            input = ["address": .string(text), "matched": .string(best.text), "address_id": .string(best.addressID),
                     "score": JSONValue(best.score)]
            needsPlacing = best.score < Self.placingScore
        }
        let route = try RouteRequest.route(snapshot, p, category: category, border: RouteRequest.defaultBorderMetres,
                                           receivedMs: nowMs)
        let definition = snapshot.departmentUnits?.categories[category]
        guard definition != nil || attributes.pairs.isEmpty else {
            throw RequestError("this map has no catalogue: a report cannot answer attributes", code: .unknownAttribute)
        }
        let answers = try definition.map { try attributes.checked(against: $0, requiring: !historic) } ?? [:]
        let dueMs = definition?.due(from: nowMs, calendar: snapshot.dataset.calendar)
        let stamp = CaseStamp(
            version: Int(snapshot.dataset.version) ?? 0, lon: p.x, lat: p.y, grid: route["grid"]?["id"]?.string ?? "",
            community: route["community"]?["id"]?.string ?? "", street: route["street"]?["id"]?.string ?? "",
            unit: route["unit"]?["id"]?.string, department: route["category"]?["department"]?.string,
            handledBy: route["handled_by"]?.string ?? "",
            nearBorder: !(route["near_border"]?.array?.isEmpty ?? true),
            dueMs: dueMs ?? nowMs,
            workers: route["workers"]?.array?.compactMap { $0["id"]?.string } ?? [], route: route)
        return CaseReport(category: category, source: source, description: description, media: media,
                          contact: contact, input: input, needsPlacing: needsPlacing, reportedMs: nowMs, stamp: stamp,
                          key: key, attributes: answers)
    }

    /// Stamps and keeps the report; the case as JSON, with `"created": false` when its key had
    /// already made it.
    public func answer(_ map: MapView, actor: CaseActor, nowMs: Int64 = Clock.nowMs) throws -> [UInt8] {
        let report = try intake(map, nowMs: nowMs)
        let (record, fresh) = try map.service.cases.with {
            try $0.report(report, account: actor.account, role: actor.role)
        }
        return Self.reply(record, fresh: fresh, actor: actor, nowMs: nowMs)
    }

    /// As `answer`, the report committed together with others arriving at once (the servers'):
    /// stamped here, answered through `reply` once durable.
    public func answerGrouped(_ map: MapView, actor: CaseActor, nowMs: Int64 = Clock.nowMs,
                              reply: @escaping @Sendable (Result<[UInt8], any Error>) -> Void) throws {
        let report = try intake(map, nowMs: nowMs)
        map.service.cases.write({ try $0.report(report, account: actor.account, role: actor.role) }) { result in
            reply(result.map { Self.reply($0.record, fresh: $0.fresh, actor: actor, nowMs: nowMs) })
        }
    }

    public func answerGrouped(_ map: MapView, actor: CaseActor, nowMs: Int64 = Clock.nowMs) async throws -> [UInt8] {
        let report = try intake(map, nowMs: nowMs)
        let (record, fresh) = try await map.service.cases.write {
            try $0.report(report, account: actor.account, role: actor.role)
        }
        return Self.reply(record, fresh: fresh, actor: actor, nowMs: nowMs)
    }

    static func reply(_ record: CaseRecord, fresh: Bool, actor: CaseActor, nowMs: Int64) -> [UInt8] {
        guard case .object(var o) = CaseCoding.json(record, nowMs: nowMs, contacts: actor.seesContacts,
                                                    history: true) else { return [] }
        o["created"] = .bool(fresh)
        return JSONValue.object(o).bytes
    }
}

/// CASE GET: one case with its history.
public struct CaseGetRequest: Sendable {
    public let id: Int
    public init(_ text: String) throws { id = try CaseParameters.caseID(text) }
    public init(id: Int) { self.id = id }
    public func answer(_ map: MapView, actor: CaseActor, nowMs: Int64 = Clock.nowMs) throws -> [UInt8] {
        let record = try map.service.cases.with { try $0.record(id) }
        if actor.role == .unit && record.state.unit != actor.unit { throw CaseLog.unknownForUnit(id) }
        return CaseCoding.json(record, nowMs: nowMs, contacts: actor.seesContacts, history: true).bytes
    }
}

/// CASE ACT: an action on a case (see `CaseAction` for the stages and roles each allows).
public struct CaseActRequest: Sendable {
    public let id: Int
    public let action: CaseAction
    public let note: String?
    public let unit: String?
    public let due: String?
    public let expect: Int?
    public let media: [String]
    public let duplicateOf: Int?

    public init(id: String, action: String, note: String? = nil, unit: String? = nil, due: String? = nil,
                expect: String? = nil, media: [String] = [], duplicateOf: String? = nil) throws {
        self.id = try CaseParameters.caseID(id)
        guard let a = CaseAction(named: action) else {
            throw CaseError(.unknownAction, "unknown action '\(Parameter.shown(action))'; one of "
                            + CaseAction.allCases.map { "\($0.rawValue) (\($0.chinese))" }.joined(separator: ", "))
        }
        self.action = a
        self.note = try CaseText.optional(note, "the note", max: CaseReportRequest.maxDescription)
        self.unit = try CaseText.optional(unit, "the unit", max: 40)
        self.due = due
        self.expect = try expect.map { try Parameter.integer($0, "expect") }
        self.media = try CaseText.media(media)
        self.duplicateOf = try duplicateOf.map { try CaseParameters.caseID($0) }
    }

    public func answer(_ map: MapView, actor: CaseActor, nowMs: Int64 = Clock.nowMs) throws -> [UInt8] {
        let act = try self.act(map, nowMs: nowMs), id = id
        let record = try map.service.cases.with {
            try $0.act(id, act, account: actor.account, role: actor.role, unitScope: actor.unit)
        }
        return CaseCoding.json(record, nowMs: nowMs, contacts: actor.seesContacts, history: true).bytes
    }

    /// As `answer`, committed together with other writes arriving at once (the servers'),
    /// answered through `reply` once durable.
    public func answerGrouped(_ map: MapView, actor: CaseActor, nowMs: Int64 = Clock.nowMs,
                              reply: @escaping @Sendable (Result<[UInt8], any Error>) -> Void) throws {
        let act = try self.act(map, nowMs: nowMs), id = id
        map.service.cases.write({
            try $0.act(id, act, account: actor.account, role: actor.role, unitScope: actor.unit)
        }) { result in
            reply(result.map {
                CaseCoding.json($0, nowMs: nowMs, contacts: actor.seesContacts, history: true).bytes
            })
        }
    }

    public func answerGrouped(_ map: MapView, actor: CaseActor, nowMs: Int64 = Clock.nowMs) async throws -> [UInt8] {
        let act = try self.act(map, nowMs: nowMs), id = id
        let record = try await map.service.cases.write {
            try $0.act(id, act, account: actor.account, role: actor.role, unitScope: actor.unit)
        }
        return CaseCoding.json(record, nowMs: nowMs, contacts: actor.seesContacts, history: true).bytes
    }

    /// The action checked against the map (its unit) and its due time read.
    package func act(_ map: MapView, nowMs: Int64) throws -> CaseLog.Act {
        if let u = unit, !map.current.dataset.units.contains(where: { $0.id == u }) {
            throw CaseError(.unknownUnit, "no unit '\(Parameter.shown(u))' on the map")
        }
        let dueMs = try due.map { text -> Int64 in
            guard let ms = AsOf.parse(text).ms else {
                throw CaseError(.badDue, "due '\(Parameter.shown(text))' is not a date or time (ISO 8601)")
            }
            return ms
        }
        return CaseLog.Act(action, note: note, unit: unit, dueMs: dueMs, media: media, duplicateOf: duplicateOf,
                           expect: expect, atMs: nowMs)
    }
}

/// CASES: the cases a filter wants, by due time (a dispatcher's queue), as JSON or GeoJSON.
public struct CaseListRequest: Sendable {
    public let filter: CaseFilter
    public let geojson: Bool

    /// From named parameters, as RESP's pairs, HTTP's query and the CLI's options give them:
    /// grid, community, street, unit, stage (comma list), category (comma list), overdue,
    /// from, to, updated_after, updated_before, box (minlon,minlat,maxlon,maxlat),
    /// circle (lon,lat,metres), limit, offset, format (json|geojson).
    public init(_ parameters: [(String, String)]) throws {
        var f = CaseFilter(), geojson = false
        for (rawName, value) in parameters {
            let name = rawName.lowercased()
            switch name {
            case "id", "ids":
                f.ids = try CaseParameters.list(value).map { try CaseParameters.caseID($0) }
                guard f.ids.count <= CaseFilter.maxLimit else {
                    throw RequestError("at most \(CaseFilter.maxLimit) ids", code: .outOfRange)
                }
            case "grid": f.grid = value
            case "community": f.community = value
            case "street": f.street = value
            case "unit": f.unit = value
            case "stage", "stages":
                f.stages = try CaseParameters.list(value).map { s in
                    guard let stage = CaseStage(rawValue: s.lowercased())
                        ?? CaseStage.allCases.first(where: { $0.chinese == s }) else {
                        throw CaseError(.badCase, "unknown stage '\(Parameter.shown(s))'; one of "
                                        + CaseStage.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    return stage
                }
            case "category", "categories": f.categories = CaseParameters.list(value)
            case "overdue": f.overdue = try CaseParameters.flag(value, name)
            case "from": f.fromMs = try CaseParameters.time(value, name)
            case "to": f.toMs = try CaseParameters.time(value, name)
            case "updated_after": f.updatedAfterMs = try CaseParameters.time(value, name)
            case "updated_before": f.updatedBeforeMs = try CaseParameters.time(value, name)
            case "box":
                let n = try CaseParameters.numbers(value, name, count: 4)
                guard n[0] <= n[2], n[1] <= n[3] else {
                    throw RequestError("box is minlon,minlat,maxlon,maxlat with min ≤ max", code: .outOfRange)
                }
                f.box = (n[0], n[1], n[2], n[3])
            case "circle":
                let n = try CaseParameters.numbers(value, name, count: 3)
                guard (0...100_000).contains(n[2]) else {
                    throw RequestError("a circle's radius is 0 to 100000 metres", code: .outOfRange)
                }
                f.circle = (n[0], n[1], n[2])
            case "limit":
                f.limit = try Parameter.integer(value, name)
                guard (1...CaseFilter.maxLimit).contains(f.limit) else {
                    throw RequestError("limit is 1 to \(CaseFilter.maxLimit)", code: .outOfRange)
                }
            case "offset":
                f.offset = try Parameter.integer(value, name)
                guard f.offset >= 0 else { throw RequestError("offset is 0 or more", code: .outOfRange) }
            case "format":
                guard ["json", "geojson"].contains(value.lowercased()) else {
                    throw RequestError("format is json or geojson", code: .badFormat)
                }
                geojson = value.lowercased() == "geojson"
            default:
                throw RequestError("unknown filter '\(Parameter.shown(rawName))'; filters: id, grid, community, "
                    + "street, unit, stage, category, overdue, from, to, updated_after, updated_before, box, circle, "
                    + "limit, "
                    + "offset, format", code: .unknownParameter)
            }
        }
        (filter, self.geojson) = (f, geojson)
    }

    public func records(_ map: MapView, nowMs: Int64) throws -> [CaseRecord] {
        var f = filter
        f.nowMs = nowMs
        return try map.service.cases.with { try $0.cases(f) }
    }

    public func answer(_ map: MapView, actor: CaseActor, nowMs: Int64 = Clock.nowMs) throws -> [UInt8] {
        var f = filter
        if actor.role == .unit { f.unit = actor.unit ?? "" }
        f.nowMs = nowMs
        let list = try map.service.cases.with { try $0.cases(f) }
        let items = list.map { CaseCoding.json($0, nowMs: nowMs, contacts: actor.seesContacts, history: false) }
        let out: JSONValue
        if geojson {
            out = ["type": "FeatureCollection", "features": .array(zip(list, items).map { c, item in
                ["type": "Feature", "id": JSONValue(c.id),
                 "geometry": ["type": "Point", "coordinates": [JSONValue(c.report.stamp.lon),
                                                               JSONValue(c.report.stamp.lat)]],
                 "properties": item]
            })]
        } else {
            out = ["cases": .array(items), "count": JSONValue(items.count), "limit": JSONValue(f.limit),
                   "offset": JSONValue(f.offset)]
        }
        return out.bytes
    }
}

extension CaseLog {
    /// A unit asking for a case not dispatched to it is told no more than that there is none.
    static func unknownForUnit(_ id: Int) -> CaseError { CaseError(.unknownCase, "no case \(id) for your unit") }
}

/// Reading case parameters from text, the same for every skin.
public enum CaseParameters {
    public static func caseID(_ text: String) throws -> Int {
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 else {
            throw CaseError(.badCase, "a case id is a whole number from 1, not '\(Parameter.shown(text))'")
        }
        return n
    }

    public static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public static func flag(_ text: String, _ name: String) throws -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "": return true
        case "0", "false", "no": return false
        default: throw RequestError("\(name) is true or false, not '\(Parameter.shown(text))'", code: .badFlag)
        }
    }

    public static func time(_ text: String, _ name: String) throws -> Int64 {
        guard let ms = AsOf.parse(text).ms else {
            throw RequestError("\(name) '\(Parameter.shown(text))' is not a date or time (ISO 8601, e.g. "
                               + "2026-12-01 or 2026-12-01T08:00:00+08:00)", code: .badTime)
        }
        return ms
    }

    public static func numbers(_ text: String, _ name: String, count: Int) throws -> [Double] {
        let parts = text.split(separator: ",").map(String.init)
        guard parts.count == count else {
            throw RequestError("\(name) is \(count) numbers separated by commas", code: .badNumber)
        }
        return try parts.map { try Parameter.number($0, name) }
    }
}
