import Foundation
import GridMapGeometry

/// The case log: reports kept with their stamp, and every change after as an appended event.
/// The rules are here, once, over a `CaseBackend` (SQLite or PostgreSQL): a report with a key
/// already used answers the case that key made; an action is checked by `CaseMachine` against
/// the stage read in the same write transaction, and refused as `stale_case` when the caller
/// expected another event number. Use one `CaseLog` from one thread at a time.
public final class CaseLog {
    public let backend: any CaseBackend
    var dialect: CaseDialect { backend.dialect }

    /// Opens the log on `backend`, creating its tables when missing.
    public init(_ backend: any CaseBackend) throws {
        self.backend = backend
        guard backend.writeRefusal == nil else { return }
        try backend.writing {
            for statement in CaseSchema.statements(backend.dialect) { try backend.execute(statement) }
        }
    }

    func table(_ name: String) -> String { CaseSchema.table(name, dialect) }

    /// `?` placeholders as the backend wants them.
    func sql(_ text: String) -> String {
        guard dialect == .postgres else { return text }
        var out = "", n = 0
        for ch in text {
            if ch == "?" { n += 1; out += "$\(n)" } else { out.append(ch) }
        }
        return out
    }

    func query(_ text: String, _ args: [CaseValue], row: (any CaseRow) throws -> Void) throws {
        try backend.query(sql(text), args, row: row)
    }

    /// Nested transactions: the outermost is the backend's write transaction, each inner one a
    /// savepoint, so that many callers' writes share one commit (`CaseDesk`'s group commit) and
    /// one refused write takes back only its own rows.
    private var depth = 0

    /// A savepoint that could not be released or rolled back: the enclosing transaction is in
    /// an unknown state (SQLite may have rolled it back itself, PostgreSQL left it aborted) and
    /// must not commit. Rethrown by every savepoint up to the outermost transaction, which ends
    /// it and throws `error`.
    public struct Broken: Error {
        public let error: CaseError
    }

    /// Runs `body` in a transaction: the backend's when none is open, else a savepoint in it.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        guard depth > 0 else {
            do {
                return try backend.writing {
                    depth += 1
                    defer { depth -= 1 }
                    return try body()
                }
            } catch let broken as Broken { throw broken.error }
        }
        let name = "case_write_\(depth)"
        try backend.execute("SAVEPOINT \(name)")
        depth += 1
        defer { depth -= 1 }
        func broken(_ e: any Error) -> Broken {
            Broken(error: CaseError(.caseLogUnavailable, "the case log's transaction broke (\(e)): nothing of it kept"))
        }
        let result: T
        do { result = try body() } catch let b as Broken { throw b } catch {
            do {
                try backend.execute("ROLLBACK TO SAVEPOINT \(name)")
                try backend.execute("RELEASE SAVEPOINT \(name)")
            } catch { throw broken(error) }
            throw error
        }
        do { try backend.execute("RELEASE SAVEPOINT \(name)") } catch { throw broken(error) }
        return result
    }

    func refuseWrites() throws {
        if let why = backend.writeRefusal {
            throw CaseError(.caseLogUnavailable, "cases cannot be kept here: \(why)")
        }
    }

    // MARK: writes

    /// Keeps a report as a new case (event 1, stage `reported`), or answers the case its key
    /// already made. `fresh` says which.
    public func report(_ r: CaseReport, account: String, role: CaseRole) throws -> (record: CaseRecord, fresh: Bool) {
        try refuseWrites()
        let result: (Int, Bool) = try transaction {
            if let key = r.key, let existing = try caseID(key: key) { return (existing, false) }
            var id: Int?
            try query("""
                INSERT INTO \(table("case_report")) (key, reported_ms, category, source, version, lon, lat, grid,
                  community, street, unit, department, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id
                """, [CaseValue(r.key), .int(Int(r.reportedMs)), .text(r.category), .text(r.source.rawValue),
                      .int(r.stamp.version), .double(r.stamp.lon), .double(r.stamp.lat), .text(r.stamp.grid),
                      .text(r.stamp.community), .text(r.stamp.street), CaseValue(r.stamp.unit),
                      CaseValue(r.stamp.department), .text(CaseCoding.body(r).serialized)]) { id = $0.int(0) }
            guard let id else { throw CaseError(.caseLogUnavailable, "the case log gave no id for a new case") }
            let event = CaseEvent(seq: 1, atMs: r.reportedMs, account: account, role: role, action: nil, from: nil,
                                  to: .reported, unit: r.stamp.unit, dueMs: r.stamp.dueMs, media: r.media)
            let start = CaseState(id: id, stage: .reported, unit: nil, dueMs: r.stamp.dueMs, lastSeq: 0,
                                  updatedMs: r.reportedMs)
            try append(event, to: id, after: start, first: true)
            return (id, true)
        }
        return (try record(result.0), result.1)
    }

    /// What an action carries besides its name.
    public struct Act: Sendable {
        public var action: CaseAction
        public var note: String?
        public var unit: String?
        public var dueMs: Int64?
        public var media: [String]
        public var duplicateOf: Int?
        /// The event number the caller last saw; nil to act on whatever is there.
        public var expect: Int?
        public var atMs: Int64
        public init(_ action: CaseAction, note: String? = nil, unit: String? = nil, dueMs: Int64? = nil,
                    media: [String] = [], duplicateOf: Int? = nil, expect: Int? = nil, atMs: Int64) {
            (self.action, self.note, self.unit, self.dueMs, self.media, self.duplicateOf, self.expect, self.atMs) =
                (action, note, unit, dueMs, media, duplicateOf, expect, atMs)
        }
    }

    /// Appends `act` to case `id` as `account` in `role`, if the stage machine allows it from
    /// the stage the case is at now. A unit acts only on cases dispatched to `unitScope`.
    public func act(_ id: Int, _ act: Act, account: String, role: CaseRole, unitScope: String? = nil) throws
        -> CaseRecord
    {
        try refuseWrites()
        let rule = act.action.rule
        if rule.needsNote && (act.note ?? "").isEmpty {
            throw CaseError(.missingField, "\(act.action.rawValue) (\(act.action.chinese)) needs a NOTE saying why")
        }
        if rule.needsUnit && (act.unit ?? "").isEmpty {
            throw CaseError(.missingField,
                            "\(act.action.rawValue) (\(act.action.chinese)) needs TO: the unit it goes to")
        }
        if rule.needsDue && act.dueMs == nil {
            throw CaseError(.missingField, "\(act.action.rawValue) (\(act.action.chinese)) needs DUE: the new due time")
        }
        try transaction {
            guard let state = try state(id) else { throw Self.unknown(id) }
            if let expect = act.expect, expect != state.lastSeq {
                throw CaseError(.staleCase, "case \(id) has moved on: its last event is \(state.lastSeq), "
                                + "not \(expect); read it again (now \(state.stage.rawValue))")
            }
            if role == .unit && (unitScope == nil || state.unit != unitScope) {
                throw CaseError(.roleNotAllowed, "case \(id) is not dispatched to your unit")
            }
            let to = try CaseMachine.next(state, act.action, role: role)
            if act.action == .extend, let due = act.dueMs, due <= state.dueMs {
                throw CaseError(.badDue, "an extension's due time must be later than the case's (now due "
                                + "\(CaseCoding.chinaTime(state.dueMs)))")
            }
            if act.action == .void, let d = act.duplicateOf {
                guard d != id, try self.state(d) != nil else {
                    throw CaseError(.unknownCase, "case \(id) cannot duplicate \(d): no such other case")
                }
            }
            // Dispatch goes to the stamped unit unless told otherwise.
            var unit = act.unit
            if act.action == .dispatch && unit == nil { unit = try stampedUnit(id) }
            let event = CaseEvent(seq: state.lastSeq + 1, atMs: act.atMs, account: account, role: role,
                                  action: act.action, from: state.stage, to: to, note: act.note, unit: unit,
                                  dueMs: act.action == .extend ? act.dueMs : nil, media: act.media,
                                  duplicateOf: act.duplicateOf)
            try append(event, to: id, after: state, first: false)
        }
        return try record(id)
    }

    private func append(_ event: CaseEvent, to id: Int, after state: CaseState, first: Bool) throws {
        try query("INSERT INTO \(table("case_event")) (case_id, seq, at_ms, body) VALUES (?,?,?,?)",
                  [.int(id), .int(event.seq), .int(Int(event.atMs)), .text(CaseCoding.body(event).serialized)]) { _ in }
        let next = state.applying(event)
        let values: [CaseValue] = [.text(next.stage.rawValue), CaseValue(next.unit), .int(Int(next.dueMs)),
                                   .int(next.lastSeq), .int(Int(next.updatedMs)),
                                   .text(CaseCoding.body(next).serialized)]
        if first {
            try query("""
                INSERT INTO \(table("case_state")) (stage, unit, due_ms, last_seq, updated_ms, body, case_id)
                VALUES (?,?,?,?,?,?,?)
                """, values + [.int(id)]) { _ in }
        } else {
            try query("""
                UPDATE \(table("case_state")) SET stage = ?, unit = ?, due_ms = ?, last_seq = ?, updated_ms = ?,
                  body = ? WHERE case_id = ?
                """, values + [.int(id)]) { _ in }
        }
    }

    // MARK: reads

    static func unknown(_ id: Int) -> CaseError { CaseError(.unknownCase, "no case \(id)") }

    public func caseID(key: String) throws -> Int? {
        var id: Int?
        try query("SELECT id FROM \(table("case_report")) WHERE key = ?", [.text(key)]) { id = $0.int(0) }
        return id
    }

    private func stampedUnit(_ id: Int) throws -> String? {
        var unit: String?
        try query("SELECT unit FROM \(table("case_report")) WHERE id = ?", [.int(id)]) {
            unit = $0.isNull(0) ? nil : $0.text(0)
        }
        return unit
    }

    public func state(_ id: Int) throws -> CaseState? {
        var out: CaseState?
        try query("""
            SELECT case_id, stage, unit, due_ms, last_seq, updated_ms, body FROM \(table("case_state"))
            WHERE case_id = ?
            """, [.int(id)]) { out = try CaseCoding.state($0, from: 0) }
        return out
    }

    /// A case with its whole history.
    public func record(_ id: Int) throws -> CaseRecord {
        guard var record = try list(ids: [id]).first else { throw Self.unknown(id) }
        try query("SELECT seq, at_ms, body FROM \(table("case_event")) WHERE case_id = ? ORDER BY seq",
                  [.int(id)]) { row in
            record.events.append(try CaseCoding.event(seq: row.int(0), atMs: Int64(row.int(1)), body: row.text(2)))
        }
        return record
    }

    private func list(ids: [Int]) throws -> [CaseRecord] {
        var f = CaseFilter()
        f.ids = ids
        return try cases(f)
    }

    /// The cases `filter` wants, by due time (their histories not read).
    public func cases(_ filter: CaseFilter) throws -> [CaseRecord] {
        let (whereClause, args) = filter.clause()
        var out: [CaseRecord] = []
        try query("""
            SELECT r.id, r.key, r.reported_ms, r.category, r.source, r.version, r.lon, r.lat, r.grid, r.community,
              r.street, r.unit, r.department, r.body, s.case_id, s.stage, s.unit, s.due_ms, s.last_seq, s.updated_ms,
              s.body
            FROM \(table("case_report")) r JOIN \(table("case_state")) s ON s.case_id = r.id
            \(whereClause) ORDER BY s.due_ms, r.id LIMIT ? OFFSET ?
            """, args + [.int(filter.limit), .int(filter.offset)]) { row in
            let report = try CaseCoding.report(row)
            guard filter.keeps(lon: report.stamp.lon, lat: report.stamp.lat) else { return }
            out.append(CaseRecord(id: row.int(0), report: report, events: [],
                                  state: try CaseCoding.state(row, from: 14)))
        }
        return out
    }

    /// How many cases there are (for a page's total).
    public func count() throws -> Int {
        var n = 0
        try query("SELECT count(*) FROM \(table("case_report"))", []) { n = $0.int(0) }
        return n
    }

    /// The ids of the cases reported in [`fromMs`, `toMs`) (either bound optional), in order.
    public func caseIDs(fromMs: Int64? = nil, toMs: Int64? = nil) throws -> [Int] {
        var ids: [Int] = []
        try query("""
            SELECT id FROM \(table("case_report")) WHERE reported_ms >= ? AND reported_ms < ? ORDER BY id
            """, [.int(Int(fromMs ?? Int64.min)), .int(Int(toMs ?? Int64.max))]) { ids.append($0.int(0)) }
        return ids
    }

    /// Cases still owed work, and those of them past their due time at `nowMs` (the
    /// `/metrics` gauges), from the stage index.
    public func openCounts(nowMs: Int64) throws -> (open: Int, overdue: Int) {
        let open = CaseStage.allCases.filter(\.isOpen).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        var counts = (open: 0, overdue: 0)
        try query("""
            SELECT count(*), COALESCE(sum(CASE WHEN due_ms < ? THEN 1 ELSE 0 END), 0)
            FROM \(table("case_state")) WHERE stage IN (\(open))
            """, [.int(Int(nowMs))]) { counts = ($0.int(0), $0.int(1)) }
        return counts
    }
}
