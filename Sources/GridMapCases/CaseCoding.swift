import Foundation
import GridMapGeometry

/// The case log's rows to and from their JSON bodies, and a case as clients read it.
public enum CaseCoding {
    // MARK: bodies kept in the store

    static func body(_ r: CaseReport) -> JSONValue {
        var contact = JSONObject()
        if let n = r.contact.name { contact["name"] = .string(n) }
        if let p = r.contact.phone { contact["phone"] = .string(p) }
        if let e = r.contact.email { contact["email"] = .string(e) }
        var o: JSONObject = [
            "description": .string(r.description), "media": .array(r.media.map { .string($0) }),
            "contact": .object(contact), "input": r.input, "needs_placing": .bool(r.needsPlacing),
            "handled_by": .string(r.stamp.handledBy), "near_border": .bool(r.stamp.nearBorder),
            "due_ms": JSONValue(Int(r.stamp.dueMs)), "workers": .array(r.stamp.workers.map { .string($0) }),
            "route": r.stamp.route,
        ]
        if !r.attributes.pairs.isEmpty { o["attributes"] = .object(r.attributes) }
        return .object(o)
    }

    static func body(_ e: CaseEvent) -> JSONValue {
        var o: JSONObject = ["account": .string(e.account), "role": .string(e.role.rawValue),
                             "to": .string(e.to.rawValue)]
        if let a = e.action { o["action"] = .string(a.rawValue) }
        if let f = e.from { o["from"] = .string(f.rawValue) }
        if let n = e.note { o["note"] = .string(n) }
        if let u = e.unit { o["unit"] = .string(u) }
        if let d = e.dueMs { o["due_ms"] = JSONValue(Int(d)) }
        if !e.media.isEmpty { o["media"] = .array(e.media.map { .string($0) }) }
        if let d = e.duplicateOf { o["duplicate_of"] = JSONValue(d) }
        return .object(o)
    }

    static func body(_ s: CaseState) -> JSONValue {
        var o: JSONObject = ["reworks": JSONValue(s.reworks), "extensions": JSONValue(s.extensions)]
        if let f = s.deferredFrom { o["deferred_from"] = .string(f.rawValue) }
        if let c = s.closedMs { o["closed_ms"] = JSONValue(Int(c)) }
        return .object(o)
    }

    private static func parse(_ text: String) throws -> JSONValue {
        do { return try JSONParser.parse(Array(text.utf8)) } catch {
            throw CaseError(.caseLogUnavailable, "a case log row does not parse: \(error)")
        }
    }

    private static func strings(_ v: JSONValue?) -> [String] { v?.array?.compactMap(\.string) ?? [] }

    /// Columns 0…13 of the list query: the report row.
    static func report(_ row: any CaseRow) throws -> CaseReport {
        let body = try parse(row.text(13))
        let c = body["contact"]
        let stamp = CaseStamp(
            version: row.int(5), lon: row.double(6), lat: row.double(7), grid: row.text(8), community: row.text(9),
            street: row.text(10), unit: row.isNull(11) ? nil : row.text(11),
            department: row.isNull(12) ? nil : row.text(12), handledBy: body["handled_by"]?.string ?? "",
            nearBorder: body["near_border"] == .bool(true), dueMs: Int64(body["due_ms"]?.int ?? 0),
            workers: strings(body["workers"]), route: body["route"] ?? .null)
        return CaseReport(
            category: row.text(3), source: CaseSource(rawValue: row.text(4)) ?? .import,
            description: body["description"]?.string ?? "", media: strings(body["media"]),
            contact: CaseContact(name: c?["name"]?.string, phone: c?["phone"]?.string, email: c?["email"]?.string),
            input: body["input"] ?? .null, needsPlacing: body["needs_placing"] == .bool(true),
            reportedMs: Int64(row.int(2)), stamp: stamp, key: row.isNull(1) ? nil : row.text(1),
            attributes: body["attributes"]?.object ?? [:])
    }

    /// Seven columns from `k`: case_id, stage, unit, due_ms, last_seq, updated_ms, body.
    static func state(_ row: any CaseRow, from k: Int32) throws -> CaseState {
        let body = try parse(row.text(k + 6))
        return CaseState(
            id: row.int(k), stage: CaseStage(rawValue: row.text(k + 1)) ?? .reported,
            unit: row.isNull(k + 2) ? nil : row.text(k + 2), dueMs: Int64(row.int(k + 3)), lastSeq: row.int(k + 4),
            updatedMs: Int64(row.int(k + 5)), reworks: body["reworks"]?.int ?? 0,
            extensions: body["extensions"]?.int ?? 0,
            deferredFrom: body["deferred_from"]?.string.flatMap(CaseStage.init(rawValue:)),
            closedMs: body["closed_ms"]?.int.map(Int64.init))
    }

    static func event(seq: Int, atMs: Int64, body text: String) throws -> CaseEvent {
        let b = try parse(text)
        return CaseEvent(
            seq: seq, atMs: atMs, account: b["account"]?.string ?? "",
            role: b["role"]?.string.flatMap(CaseRole.init(rawValue:)) ?? .reporter,
            action: b["action"]?.string.flatMap(CaseAction.init(rawValue:)),
            from: b["from"]?.string.flatMap(CaseStage.init(rawValue:)),
            to: b["to"]?.string.flatMap(CaseStage.init(rawValue:)) ?? .reported, note: b["note"]?.string,
            unit: b["unit"]?.string, dueMs: b["due_ms"]?.int.map(Int64.init), media: strings(b["media"]),
            duplicateOf: b["duplicate_of"]?.int)
    }

    // MARK: as clients read it

    /// Milliseconds since 1970 as China's local time, `2026-12-08T14:32:52+08:00`.
    /// Written digit by digit: a case carries five of these, a page fifty cases, and
    /// `String(format:)` was a tenth of a page's time.
    public static func chinaTime(_ ms: Int64) -> String {
        var t = time_t(ms / 1000 + 8 * 3600)
        var tm = tm()
        gmtime_r(&t, &tm)
        let year = Int(tm.tm_year) + 1900
        guard (0...9999).contains(year) else {
            return String(format: "%04d-%02d-%02dT%02d:%02d:%02d+08:00", year, Int(tm.tm_mon) + 1,
                          Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
        }
        var out = [UInt8](repeating: 0, count: 25)
        func put(_ v: Int, at end: Int, width: Int) {
            var x = v
            for i in stride(from: end, to: end - width, by: -1) {
                out[i] = UInt8(48 + x % 10)
                x /= 10
            }
        }
        put(year, at: 3, width: 4)
        put(Int(tm.tm_mon) + 1, at: 6, width: 2)
        put(Int(tm.tm_mday), at: 9, width: 2)
        put(Int(tm.tm_hour), at: 12, width: 2)
        put(Int(tm.tm_min), at: 15, width: 2)
        put(Int(tm.tm_sec), at: 18, width: 2)
        for (i, c) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")] as [(Int, Character)] {
            out[i] = c.asciiValue!
        }
        out.replaceSubrange(19..<25, with: Array("+08:00".utf8))
        return String(decoding: out, as: UTF8.self)
    }

    /// A case as JSON: its stamp, where it stands and, when asked, its history. The reporter's
    /// contact only with `contacts` (dispatchers).
    public static func json(_ c: CaseRecord, nowMs: Int64, contacts: Bool, history: Bool) -> JSONValue {
        let r = c.report, s = c.state, st = r.stamp
        var stamp: JSONObject = [
            "version": JSONValue(st.version), "lon": JSONValue(st.lon), "lat": JSONValue(st.lat),
            "grid": .string(st.grid), "community": .string(st.community), "street": .string(st.street),
            "unit": JSONValue(st.unit), "department": JSONValue(st.department), "handled_by": .string(st.handledBy),
            "near_border": .bool(st.nearBorder), "due_at": .string(chinaTime(st.dueMs)),
            "workers": .array(st.workers.map { .string($0) }),
        ]
        if contacts { stamp["route"] = st.route }
        var o: JSONObject = [
            "id": JSONValue(c.id), "category": .string(r.category), "source": .string(r.source.rawValue),
            "description": .string(r.description), "media": .array(r.media.map { .string($0) }),
            "reported_at": .string(chinaTime(r.reportedMs)), "needs_placing": .bool(r.needsPlacing),
            "input": r.input, "attributes": .object(r.attributes), "stamp": .object(stamp),
            "stage": .string(s.stage.rawValue), "stage_name": .string(s.stage.chinese), "unit": JSONValue(s.unit),
            "due_at": .string(chinaTime(s.dueMs)), "overdue": .bool(s.isOverdue(at: nowMs)),
            "last_event": JSONValue(s.lastSeq), "updated_at": .string(chinaTime(s.updatedMs)),
            "reworks": JSONValue(s.reworks), "extensions": JSONValue(s.extensions),
        ]
        if let closed = s.closedMs { o["closed_at"] = .string(chinaTime(closed)) }
        if contacts {
            o["contact"] = ["name": JSONValue(r.contact.name), "phone": JSONValue(r.contact.phone),
                            "email": JSONValue(r.contact.email)]
        }
        if history {
            o["history"] = .array(c.events.map { e in
                var h: JSONObject = ["seq": JSONValue(e.seq), "at": .string(chinaTime(e.atMs)),
                                     "account": .string(e.account), "role": .string(e.role.rawValue),
                                     "action": JSONValue(e.action?.rawValue),
                                     "action_name": JSONValue(e.action?.chinese),
                                     "from": JSONValue(e.from?.rawValue), "to": .string(e.to.rawValue),
                                     "note": JSONValue(e.note), "unit": JSONValue(e.unit)]
                if let d = e.dueMs, e.action == .extend { h["due_at"] = .string(chinaTime(d)) }
                if !e.media.isEmpty { h["media"] = .array(e.media.map { .string($0) }) }
                if let d = e.duplicateOf { h["duplicate_of"] = JSONValue(d) }
                return .object(h)
            })
        }
        return .object(o)
    }
}
