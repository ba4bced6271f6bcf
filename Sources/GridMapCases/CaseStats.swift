import Foundation
import GridMapGeometry

/// One case as the measures read it: its report (what was stamped) and its events up to the
/// moment the figures are taken as of, replayed.
public struct CaseHistory: Sendable {
    public let id: Int
    public let reportedMs: Int64
    public let category: String
    public let source: String
    public let lon: Double
    public let lat: Double
    /// As stamped at intake: grid, community, street, unit, department, the grid's workers.
    public let grid: String, community: String, street: String
    public let unit: String?, department: String?
    public let workers: [String]
    public let stampedDueMs: Int64
    /// (time, action, the stage it led to, a new due time) in order; the report is not one.
    public let events: [(atMs: Int64, action: CaseAction?, to: CaseStage, dueMs: Int64?)]
    /// The event number of the first event held (1: the report itself) and of the last.
    let firstSeq: Int, lastSeq: Int

    /// The time of its last event held (the report's when none).
    var lastEventMs: Int64 { events.last?.atMs ?? reportedMs }

    /// The same case with `later`'s events after its own.
    func appending(_ later: CaseHistory) -> CaseHistory {
        with(events: events + later.events, lastSeq: later.lastSeq)
    }

    /// The same case as known at `ms`: its events after then left out.
    func upTo(_ ms: Int64) -> CaseHistory {
        let kept = events.filter { $0.atMs <= ms }
        return with(events: kept, lastSeq: firstSeq + kept.count)
    }

    fileprivate func with(events: [(atMs: Int64, action: CaseAction?, to: CaseStage, dueMs: Int64?)], lastSeq: Int)
        -> CaseHistory
    {
        CaseHistory(id: id, reportedMs: reportedMs, category: category, source: source, lon: lon, lat: lat,
                    grid: grid, community: community, street: street, unit: unit, department: department,
                    workers: workers, stampedDueMs: stampedDueMs, events: events, firstSeq: firstSeq,
                    lastSeq: lastSeq)
    }

    /// The first time `action` was taken, if it was.
    func first(_ action: CaseAction) -> Int64? { events.first { $0.action == action }?.atMs }
    func times(_ action: CaseAction) -> [Int64] { events.filter { $0.action == action }.map(\.atMs) }

    /// The due time in force at the end of the history (extensions applied).
    var dueMs: Int64 { events.last { $0.dueMs != nil && $0.action == .extend }?.dueMs ?? stampedDueMs }

    /// The stage at `ms` (the report's stage before any event).
    func stage(at ms: Int64) -> CaseStage { events.last { $0.atMs <= ms }?.to ?? .reported }

    var closedMs: Int64? { events.last { $0.to == .closed }?.atMs }

    /// Whether the case can count in a period starting at `fromMs` at all: not when it was done
    /// with (closed, refused, voided or deferred) before the period and nothing of it — report,
    /// events, due time — falls in or after it. Most of a long history is such, and `add` would
    /// count nothing of it (`CaseStatsTests` checks that on every case it skips).
    public func mayCount(fromMs: Int64) -> Bool { countsUntilMs >= fromMs }

    /// The last moment it can count at: its report, last event or due time, whichever is latest;
    /// never for a case still owed work (it can be overdue at any period's end).
    var countsUntilMs: Int64 {
        let stage = events.last?.to ?? .reported
        return stage.isOpen && stage != .deferred ? .max : max(reportedMs, lastEventMs, dueMs)
    }
}

/// A rate with the counts it is made of, so that a small count shows as small.
public struct CaseRate: Sendable, Equatable {
    public let numerator: Int
    public let denominator: Int
    public var value: Double? { denominator > 0 ? Double(numerator) / Double(denominator) : nil }
}

/// The measures of one object (a grid, a unit, …) over a period, as docs/STATISTICS.md defines
/// them; written once here for every object, attribution and skin.
public struct CaseMeasures: Sendable, Equatable {
    public var reported = 0, accepted = 0, refused = 0, dispatched = 0, closed = 0, closedOnTime = 0
    public var due = 0, deferred = 0, overdue = 0, reworked = 0, handled = 0, extended = 0, voided = 0
    public var hoursToClose: [Double] = []

    public init() {}

    /// The rates' base: cases due in the period less those deferred then (缓办 is out of the count).
    public var base: Int { due - deferred }
    public var closureRate: CaseRate { CaseRate(numerator: closed, denominator: base) }
    public var onTimeRate: CaseRate { CaseRate(numerator: closedOnTime, denominator: base) }
    public var reworkRate: CaseRate { CaseRate(numerator: reworked, denominator: handled) }
    public var extensionRate: CaseRate { CaseRate(numerator: extended, denominator: base) }
    public var isEmpty: Bool { self == CaseMeasures() }

    /// Adds what `c` did in [fromMs, toMs), as known at `asOfMs`: each count is of cases, not
    /// events. A period not over yet counts as due only the cases whose due time has come.
    public mutating func add(_ c: CaseHistory, fromMs: Int64, toMs: Int64, asOfMs: Int64) {
        let endMs = min(toMs, asOfMs + 1)
        func inPeriod(_ t: Int64?) -> Bool { t.map { $0 >= fromMs && $0 < toMs } ?? false }
        if inPeriod(c.reportedMs) { reported += 1 }
        if inPeriod(c.first(.accept)) { accepted += 1 }
        if inPeriod(c.first(.refuse)) { refused += 1 }
        if inPeriod(c.first(.dispatch)) { dispatched += 1 }
        if inPeriod(c.first(.void)) { voided += 1 }
        if c.times(.fail).contains(where: { inPeriod($0) }) { reworked += 1 }
        if c.times(.handle).contains(where: { inPeriod($0) }) { handled += 1 }
        let due = c.dueMs
        let closed = c.closedMs
        if inPeriod(closed), let closed {
            self.closed += 1
            if closed > due { overdue += 1 }
            if let accepted = c.first(.accept) { hoursToClose.append(Double(closed - accepted) / 3_600_000) }
        }
        // Due in the period: neither refused nor voided by its due time.
        let endedBeforeDue = [CaseStage.refused, .voided].contains(c.stage(at: due))
        if inPeriod(due) && due < endMs && !endedBeforeDue {
            self.due += 1
            if c.stage(at: due) == .deferred { deferred += 1 }
            if let closed, closed <= due { closedOnTime += 1 }
            if c.times(.extend).contains(where: { inPeriod($0) }) { extended += 1 }
        }
        // Still open past its due time at the period's end (deferred cases are not late).
        let atEnd = c.stage(at: endMs - 1)
        if atEnd.isOpen && atEnd != .deferred && due < endMs - 1 && c.reportedMs < endMs && !inPeriod(closed) {
            overdue += 1
        }
    }

    /// Mean, median and 90th percentile (nearest rank) of the hours from 立案 to 结案.
    public var timeToClose: (mean: Double, median: Double, p90: Double)? {
        guard !hoursToClose.isEmpty else { return nil }
        let s = hoursToClose.sorted()
        func rank(_ q: Double) -> Double { s[max(0, Int((q * Double(s.count)).rounded(.up)) - 1)] }
        return (s.reduce(0, +) / Double(s.count), rank(0.5), rank(0.9))
    }
}

/// Competition ranking (1, 2, 2, 4) by on-time rate, then closure rate, of the rows not marked
/// small (a rate over fewer than `minimum` cases); small rows get no rank.
public enum CaseRanking {
    public static func ranks(_ rows: [CaseMeasures], minimum: Int) -> [Int?] {
        let key = rows.map { ($0.onTimeRate.value ?? -1, $0.closureRate.value ?? -1) }
        // Best first; a row's rank is one more than the rows strictly better (the first of its equals').
        let ranked = rows.indices.filter { rows[$0].base >= minimum && rows[$0].base > 0 }.sorted { key[$0] > key[$1] }
        var out = [Int?](repeating: nil, count: rows.count)
        for (position, i) in ranked.enumerated() {
            let previous = position > 0 ? ranked[position - 1] : nil
            out[i] = previous.map { key[$0] == key[i] } == true ? out[previous!] : position + 1
        }
        return out
    }
}

extension CaseLog {
    /// Every case reported before `beforeMs`, with its events up to `asOfMs` (a case's events
    /// after that moment are not yet known then), for the measures: the log read whole
    /// (`CaseHistoryCache` reads only what is new, and is checked against this).
    public func histories(reportedBefore beforeMs: Int64, asOfMs: Int64) throws -> [CaseHistory] {
        try read("WHERE r.reported_ms < ? AND r.reported_ms <= ? AND e.at_ms <= ? ORDER BY r.id, e.seq",
                 [.int(Int(beforeMs)), .int(Int(asOfMs)), .int(Int(asOfMs))]).cases
    }

    /// The events appended after `cursor` in the log's append order (SQLite's rowid,
    /// PostgreSQL's `n`), each case's as a history holding only those, and the new cursor.
    public func appended(after cursor: Int) throws -> (cases: [CaseHistory], cursor: Int) {
        let order = dialect == .postgres ? "e.n" : "e.rowid"
        guard cursor > 0 else { return try readAll(order: order) }
        return try read("WHERE \(order) > ? ORDER BY r.id, e.seq", [.int(cursor)], order: order, cursor: cursor)
    }

    /// Every case, for a cache that holds nothing yet: the events in their key's order, then the
    /// reports in theirs, so that no statement sorts millions of joined rows and each report's
    /// body is read once. Events first: each has its report (they commit together); a report
    /// made between the two reads is left out, and the next call brings it with its events.
    private func readAll(order: String) throws -> (cases: [CaseHistory], cursor: Int) {
        var groups: [(id: Int, lastSeq: Int, events: [(atMs: Int64, action: CaseAction?, to: CaseStage,
                                                        dueMs: Int64?)])] = []
        var newest = 0
        try query("SELECT e.case_id, e.seq, e.at_ms, e.body, \(order) FROM \(table("case_event")) e "
                  + "ORDER BY e.case_id, e.seq", []) { row in
            let id = row.int(0), seq = row.int(1)
            newest = max(newest, row.int(4))
            if groups.last?.id != id { groups.append((id, seq, [])) }
            groups[groups.count - 1].lastSeq = seq
            guard seq > 1 else { return }
            let e = try CaseCoding.event(seq: seq, atMs: Int64(row.int(2)), body: row.text(3))
            groups[groups.count - 1].events.append((e.atMs, e.action, e.to, e.dueMs))
        }
        var out: [CaseHistory] = []
        out.reserveCapacity(groups.count)
        var k = 0
        try query("""
            SELECT \(reportColumns) FROM \(table("case_report")) r WHERE r.id <= ? ORDER BY r.id
            """, [.int(groups.last?.id ?? 0)]) { row in
            let id = row.int(0)
            while k < groups.count && groups[k].id < id { k += 1 }
            guard k < groups.count, groups[k].id == id else { return }
            out.append(try report(row, seq: 1).with(events: groups[k].events, lastSeq: groups[k].lastSeq))
        }
        return (out, newest)
    }

    /// A report's columns as the measures read them (`report(_:seq:)` decodes them): only the
    /// stamp's due time and workers from its body, extracted by the database — the body holds
    /// ROUTE's whole answer, most of what a replay would otherwise parse.
    private var reportColumns: String {
        let (due, workers) = dialect == .postgres
            ? ("(r.body::json ->> 'due_ms')", "(r.body::json ->> 'workers')")
            : ("json_extract(r.body, '$.due_ms')", "json_extract(r.body, '$.workers')")
        return "r.id, r.reported_ms, r.category, r.source, r.lon, r.lat, r.grid, r.community, r.street, r.unit, "
            + "r.department, \(due), \(workers)"
    }

    /// The case of a row starting with `reportColumns`, holding no event yet; `seq` its first.
    private func report(_ row: any CaseRow, seq: Int) throws -> CaseHistory {
        let workers = row.isNull(12) ? [] : try JSONParser.parse(row.text(12)).array?.compactMap(\.string)
        return CaseHistory(
            id: row.int(0), reportedMs: Int64(row.int(1)), category: row.text(2), source: row.text(3),
            lon: row.double(4), lat: row.double(5), grid: row.text(6), community: row.text(7),
            street: row.text(8), unit: row.isNull(9) ? nil : row.text(9),
            department: row.isNull(10) ? nil : row.text(10),
            workers: workers ?? [], stampedDueMs: Int64(row.isNull(11) ? 0 : Int(row.text(11)) ?? 0),
            events: [], firstSeq: seq, lastSeq: seq)
    }

    private func read(_ clause: String, _ args: [CaseValue], order: String? = nil, cursor: Int = 0) throws
        -> (cases: [CaseHistory], cursor: Int)
    {
        var out: [CaseHistory] = []
        var newest = cursor
        var current: (head: CaseHistory, events: [(Int64, CaseAction?, CaseStage, Int64?)], last: Int)?
        func flush() {
            guard let c = current else { return }
            out.append(c.head.with(events: c.events.map { (atMs: $0.0, action: $0.1, to: $0.2, dueMs: $0.3) },
                                   lastSeq: c.last))
        }
        try query("""
            SELECT \(reportColumns), e.seq, e.at_ms, e.body, \(order ?? "0")
            FROM \(table("case_report")) r JOIN \(table("case_event")) e ON e.case_id = r.id
            \(clause)
            """, args) { row in
            let id = row.int(0), seq = row.int(13)
            newest = max(newest, row.int(16))
            if current?.head.id != id {
                flush()
                current = (try report(row, seq: seq), [], seq)
            }
            current?.last = seq
            guard seq > 1 else { return }
            let e = try CaseCoding.event(seq: seq, atMs: Int64(row.int(14)), body: row.text(15))
            current?.events.append((e.atMs, e.action, e.to, e.dueMs))
        }
        flush()
        return (out, newest)
    }
}
