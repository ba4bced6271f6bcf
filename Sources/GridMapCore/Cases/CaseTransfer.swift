import GridMapCases
import GridMapGeometry
import GridMapModel
import GridMapStore

/// Historic cases in and out (`gridmap cases import` / `export`) as CSV, one row per event: a
/// case's report (`action` empty or `report`: the point, category, source, description), then
/// its events in time order (`accept`, `dispatch`, … with their note, unit, due time), all
/// joined by the case's `key`. On import each case is stamped with the map **as of its report
/// time** (the version live then; the earliest version for a case older than the store) and each
/// event is appended with its own time, through the same requests and stage machine as the
/// skins: a row the machine refuses is refused with its line. A key already in the log makes
/// no second case, and its events are not appended again, so an import can be run twice.
/// Contacts are not exported (they are private); media URLs and attribute answers are not
/// carried, and an imported report is not held to the attributes the catalogue requires now.
/// A unit's event on a case no unit took (the 属地 chain's) is recorded as the dispatcher's.
public enum CaseTransfer {
    public static let columns = ["key", "at", "action", "lon", "lat", "crs", "category", "source", "description",
                                 "note", "unit", "due", "account", "role", "duplicate_of"]

    /// What an import did: cases made, events appended, cases whose key was already in the log
    /// (their events skipped), cases stamped on the earliest version, and refused rows by line.
    public struct Outcome: Sendable {
        public var cases = 0, events = 0, existing = 0, stampedOnEarliest = 0
        public var refused: [(line: Int, code: String, message: String)] = []

        public var json: JSONValue {
            .object(["cases": JSONValue(cases), "events": JSONValue(events), "existing": JSONValue(existing),
                     "stamped_on_earliest_version": JSONValue(stampedOnEarliest),
                     "refused": .array(refused.prefix(100).map {
                         .object(["line": JSONValue($0.line), "code": .string($0.code), "message": .string($0.message)])
                     }), "refused_count": JSONValue(refused.count)])
        }
    }

    /// Imports a whole file's text (`Importer` reads a large one a piece at a time).
    public static func importCSV(_ text: String, _ map: MapView) throws -> Outcome {
        let importer = Importer(map)
        try importer.add(text, firstLine: 1)
        return try importer.finish()
    }

    /// An import fed a piece of the file at a time (whole records: `CSV.Pieces`), so that a file
    /// of millions of rows is never held whole. Rows are written `batch` at a time in one
    /// transaction, each row in a savepoint of its own: one commit per batch rather than per row,
    /// and a refused row takes back only its own writes. A failure of the log itself ends the
    /// import with the batch rolled back whole; the batches before it are kept, and running the
    /// import again carries on (keys already in the log are skipped).
    public final class Importer {
        public static let batch = 2_000
        let map: MapView
        private var at: [String: Int]?
        private var snapshots: [Int: Snapshot] = [:]
        private var ids: [String: Int] = [:], lastAt: [String: Int64] = [:], skip: Set<String> = []
        public private(set) var outcome = Outcome()

        public init(_ map: MapView) { self.map = map }

        /// Parses `text` (whole records; its first line is the file's line `firstLine`) and writes
        /// its rows; the file's first record is its header.
        public func add(_ text: String, firstLine: Int) throws {
            var rows = try CSV.parse(text)[...]
            if at == nil {
                // Blank lines so far: the header is still to come (`finish` refuses a file without one).
                guard let header = rows.first?.fields else { return }
                var at: [String: Int] = [:]
                for (k, name) in header.enumerated() { at[name.trimmingCharacters(in: .whitespaces).lowercased()] = k }
                for required in ["key", "at", "action"] where at[required] == nil {
                    throw RequestError("the header has no '\(required)' column; columns: "
                                       + columns.joined(separator: ","), code: .badFile)
                }
                self.at = at
                rows = rows.dropFirst()
            }
            while !rows.isEmpty {
                let chunk = rows.prefix(Self.batch)
                rows = rows.dropFirst(chunk.count)
                try write(chunk.map { (line: $0.line + firstLine - 1, fields: $0.fields) })
            }
        }

        /// What the import did; a file without even a header is refused.
        public func finish() throws -> Outcome {
            guard at != nil else { throw RequestError("the file is empty", code: .badFile) }
            return outcome
        }

        private func write(_ rows: [(line: Int, fields: [String])]) throws {
            try map.service.cases.with { log in
                try log.transaction {
                    for row in rows {
                        do {
                            try log.transaction { try self.write(row, log) }
                        } catch let broken as CaseLog.Broken {
                            throw broken
                        } catch let e as CaseError where e.typed == .caseLogUnavailable {
                            throw e
                        } catch {
                            let kinded = error as? any KindedError
                            outcome.refused.append((row.line, kinded?.code ?? "internal",
                                                    kinded?.message ?? "\(error)"))
                        }
                    }
                }
            }
        }

        private func write(_ row: (line: Int, fields: [String]), _ log: CaseLog) throws {
            func field(_ name: String) -> String? {
                guard let k = at?[name], k < row.fields.count else { return nil }
                let v = row.fields[k].trimmingCharacters(in: .whitespaces)
                return v.isEmpty ? nil : v
            }
            let service = map.service
            let key = try Parameter.required(field("key"), "key")
            guard let ms = AsOf.parse(field("at") ?? "").ms else {
                throw RequestError("at '\(Parameter.shown(field("at") ?? ""))' is not a date or time (ISO 8601)",
                                   code: .badTime)
            }
            let account = field("account") ?? "import"
            let role = try field("role").map { r -> CaseRole in
                guard let role = CaseRole(rawValue: r) else {
                    throw RequestError("role is reporter, dispatcher or unit, not '\(Parameter.shown(r))'",
                                       code: .badRole)
                }
                return role
            }
            let action = field("action") ?? "report"
            if action == "report" {
                // The version live at the report's time, else (older than the store) the first.
                let live = try? service.resolve(asOf: CaseCoding.chinaTime(ms))
                let version = live ?? 1
                if snapshots[version] == nil { snapshots[version] = try service.snapshot(version: version) }
                let point = try PointQuery(lon: field("lon"), lat: field("lat"), crs: field("crs"))
                let request = try CaseReportRequest(
                    place: .point(point), category: try Parameter.required(field("category"), "category"),
                    description: field("description") ?? "",
                    source: field("source").flatMap(CaseSource.init(rawValue:)) ?? .`import`, key: key)
                let report = try request.intake(MapView(service, current: snapshots[version]), nowMs: ms,
                                                historic: true)
                let (record, fresh) = try log.report(report, account: account, role: role ?? .reporter)
                ids[key] = record.id
                lastAt[key] = ms
                if fresh {
                    outcome.cases += 1
                    if live == nil { outcome.stampedOnEarliest += 1 }
                } else {
                    skip.insert(key)
                    outcome.existing += 1
                }
                return
            }
            if skip.contains(key) { return }
            guard let id = ids[key] else {
                throw CaseError(.unknownCase, "no report with key '\(Parameter.shown(key))' above this line")
            }
            guard ms >= lastAt[key] ?? ms else {
                throw RequestError("an event before the case's previous one: a case's rows go in time order",
                                   code: .badTime)
            }
            let duplicate = try field("duplicate_of").map { d -> String in
                guard let other = ids[d] else {
                    throw CaseError(.unknownCase, "duplicate_of '\(Parameter.shown(d))' names no case above")
                }
                return String(other)
            }
            let request = try CaseActRequest(id: String(id), action: action, note: field("note"),
                                             unit: field("unit"), due: field("due"), duplicateOf: duplicate)
            // A unit's event acts for the unit the case is with then; on a case no unit took (the
            // 属地 chain's), as the dispatcher who carries it.
            let scope = role == .unit ? try log.state(id)?.unit : nil
            let acting = role == .unit && scope == nil ? .dispatcher : role ?? .dispatcher
            _ = try log.act(id, try request.act(map, nowMs: ms), account: account, role: acting, unitScope: scope)
            lastAt[key] = ms
            outcome.events += 1
        }
    }

    /// Every case (reported in [`from`, `to`) when given: ISO 8601 times), as the rows
    /// `importCSV` reads, each written through `write` (a header first).
    public static func exportCSV(_ map: MapView, from: String? = nil, to: String? = nil,
                                 write: (String) throws -> Void) throws {
        func time(_ text: String?, _ name: String) throws -> Int64? {
            guard let text else { return nil }
            guard let ms = AsOf.parse(text).ms else {
                throw RequestError("\(name) '\(Parameter.shown(text))' is not a date or time (ISO 8601)",
                                   code: .badTime)
            }
            return ms
        }
        let (fromMs, toMs) = (try time(from, "from"), try time(to, "to"))
        try write(CSV.line(columns) + "\n")
        let ids = try map.service.cases.with { try $0.caseIDs(fromMs: fromMs, toMs: toMs) }
        var keys: [Int: String] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let records = try map.service.cases.with { log in
                try ids[chunk..<min(chunk + 500, ids.count)].map { try log.record($0) }
            }
            for c in records {
                let key = c.report.key ?? "case-\(c.id)"
                keys[c.id] = key
                var lines: [[String]] = []
                let first = c.events.first
                let r = c.report
                lines.append([key, CaseCoding.chinaTime(r.reportedMs), "report", JSONValue.format(r.stamp.lon),
                              JSONValue.format(r.stamp.lat), "wgs84", r.category,
                              r.source.rawValue, r.description, "", "", "", first?.account ?? "",
                              first?.role.rawValue ?? "", ""])
                for e in c.events.dropFirst() {
                    let unit = [.dispatch, .redispatch].contains(e.action) ? e.unit ?? "" : ""
                    let due = e.action == .extend ? e.dueMs.map(CaseCoding.chinaTime) ?? "" : ""
                    let duplicate = e.duplicateOf.map { keys[$0] ?? "case-\($0)" } ?? ""
                    lines.append([key, CaseCoding.chinaTime(e.atMs), e.action?.rawValue ?? "", "", "", "", "", "", "",
                                  e.note ?? "", unit, due, e.account, e.role.rawValue, duplicate])
                }
                try write(lines.map { CSV.line($0) + "\n" }.joined())
            }
        }
    }
}
