import GridMapGeometry

/// What subscribers hear of the case log: a case reported, a case moved to another stage, or an
/// open case passing its due time. No contact and no note: a subscriber may be any reader.
public struct CaseNotice: Sendable, Equatable {
    public enum Kind: String, Sendable { case reported, stage, overdue }
    public static let channel = "gridmap:cases"

    public let kind: Kind
    public let caseID: Int
    /// The event's number (for `overdue`, the case's last event).
    public let seq: Int
    public let atMs: Int64
    public let action: CaseAction?
    public let from: CaseStage?
    public let stage: CaseStage
    public let account: String?
    public let grid: String
    public let community: String
    public let street: String
    public let category: String
    /// The unit the case is with now (else the stamped one).
    public let unit: String?
    public let dueMs: Int64

    /// The channels it is published on: every case, and the case's grid, unit and category.
    public var channels: [String] {
        var c = [Self.channel, "\(Self.channel):grid:\(grid)", "\(Self.channel):category:\(category)"]
        if let unit { c.append("\(Self.channel):unit:\(unit)") }
        return c
    }

    /// Whether `name` is a channel of the case feed (all cases, or `…:grid:ID`, `…:unit:ID`,
    /// `…:category:CODE`).
    public static func isChannel(_ name: String) -> Bool {
        name == channel || ["grid", "unit", "category"].contains { name.hasPrefix("\(channel):\($0):") }
    }

    public var json: JSONValue {
        .object([
            "event": .string(kind.rawValue), "case": JSONValue(caseID), "seq": JSONValue(seq),
            "at": .string(CaseCoding.chinaTime(atMs)), "action": JSONValue(action?.rawValue),
            "from": JSONValue(from?.rawValue), "stage": .string(stage.rawValue), "stage_name": .string(stage.chinese),
            "account": JSONValue(account), "grid": .string(grid), "community": .string(community),
            "street": .string(street), "category": .string(category), "unit": JSONValue(unit),
            "due_at": .string(CaseCoding.chinaTime(dueMs)),
        ])
    }
}

extension CaseLog {
    private static let noticeColumns = """
        r.grid, r.community, r.street, r.category, COALESCE(s.unit, r.unit), s.due_ms, s.stage
        """

    /// Events appended at or after `sinceMs` (by their time), oldest first.
    public func notices(sinceMs: Int64) throws -> [CaseNotice] {
        var out: [CaseNotice] = []
        try query("""
            SELECT e.case_id, e.seq, e.at_ms, e.body, \(Self.noticeColumns)
            FROM \(table("case_event")) e JOIN \(table("case_report")) r ON r.id = e.case_id
            JOIN \(table("case_state")) s ON s.case_id = e.case_id
            WHERE e.at_ms >= ? ORDER BY e.at_ms, e.case_id, e.seq
            """, [.int(Int(sinceMs))]) { row in
            let seq = row.int(1), at = Int64(row.int(2))
            let event = try CaseCoding.event(seq: seq, atMs: at, body: row.text(3))
            out.append(CaseNotice(
                kind: seq == 1 ? .reported : .stage, caseID: row.int(0), seq: seq, atMs: at, action: event.action,
                from: event.from, stage: event.to, account: event.account, grid: row.text(4), community: row.text(5),
                street: row.text(6), category: row.text(7), unit: event.unit ?? (row.isNull(8) ? nil : row.text(8)),
                dueMs: event.dueMs ?? Int64(row.int(9))))
        }
        return out
    }

    /// Open cases whose due time fell in (`afterMs`, `untilMs`], by due time.
    public func overdue(afterMs: Int64, untilMs: Int64) throws -> [CaseNotice] {
        let open = CaseStage.allCases.filter(\.isOpen).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        var out: [CaseNotice] = []
        try query("""
            SELECT s.case_id, s.last_seq, \(Self.noticeColumns)
            FROM \(table("case_state")) s JOIN \(table("case_report")) r ON r.id = s.case_id
            WHERE s.due_ms > ? AND s.due_ms <= ? AND s.stage IN (\(open)) ORDER BY s.due_ms, s.case_id
            """, [.int(Int(afterMs)), .int(Int(untilMs))]) { row in
            let due = Int64(row.int(7))
            out.append(CaseNotice(
                kind: .overdue, caseID: row.int(0), seq: row.int(1), atMs: due, action: nil, from: nil,
                stage: CaseStage(rawValue: row.text(8)) ?? .reported, account: nil, grid: row.text(2),
                community: row.text(3), street: row.text(4), category: row.text(5),
                unit: row.isNull(6) ? nil : row.text(6), dueMs: due))
        }
        return out
    }
}

/// A case's change as mySociety's Open311 extension `servicerequestupdates` reports it: every
/// event after the report itself, with its public note (never a contact).
public struct CaseUpdate: Sendable, Equatable {
    public let caseID: Int
    public let event: CaseEvent
    public let category: String
}

extension CaseLog {
    /// Events after the reports (seq > 1) appended in [`fromMs`, `toMs`), oldest first, at most
    /// `limit` from `offset`.
    public func updates(fromMs: Int64, toMs: Int64, limit: Int, offset: Int = 0) throws -> [CaseUpdate] {
        var out: [CaseUpdate] = []
        try query("""
            SELECT e.case_id, e.seq, e.at_ms, e.body, r.category
            FROM \(table("case_event")) e JOIN \(table("case_report")) r ON r.id = e.case_id
            WHERE e.at_ms >= ? AND e.at_ms < ? AND e.seq > 1 ORDER BY e.at_ms, e.case_id, e.seq LIMIT ? OFFSET ?
            """, [.int(Int(fromMs)), .int(Int(toMs)), .int(limit), .int(offset)]) { row in
            let event = try CaseCoding.event(seq: row.int(1), atMs: Int64(row.int(2)), body: row.text(3))
            out.append(CaseUpdate(caseID: row.int(0), event: event, category: row.text(4)))
        }
        return out
    }
}
