import GridMapGeometry

/// Where a report came from.
public enum CaseSource: String, CaseIterable, Sendable {
    case handheld, hotline, resident, open311, `import`
}

/// What the map said when the case was reported: kept with the case, never recomputed (a
/// version published later changes no stamp). `route` is ROUTE's whole answer then.
public struct CaseStamp: Sendable, Equatable {
    public var version: Int
    public var lon: Double
    public var lat: Double
    public var grid: String
    public var community: String
    public var street: String
    public var unit: String?
    public var department: String?
    public var handledBy: String
    public var nearBorder: Bool
    public var dueMs: Int64
    public var workers: [String]
    public var route: JSONValue

    public init(version: Int, lon: Double, lat: Double, grid: String, community: String, street: String,
                unit: String?, department: String?, handledBy: String, nearBorder: Bool, dueMs: Int64,
                workers: [String], route: JSONValue) {
        (self.version, self.lon, self.lat, self.grid, self.community, self.street) =
            (version, lon, lat, grid, community, street)
        (self.unit, self.department, self.handledBy, self.nearBorder, self.dueMs, self.workers, self.route) =
            (unit, department, handledBy, nearBorder, dueMs, workers, route)
    }
}

/// The reporter's contact: private, shown only to dispatchers.
public struct CaseContact: Sendable, Equatable {
    public var name: String?
    public var phone: String?
    public var email: String?
    public init(name: String? = nil, phone: String? = nil, email: String? = nil) {
        (self.name, self.phone, self.email) = (name, phone, email)
    }
    public var isEmpty: Bool { name == nil && phone == nil && email == nil }
}

/// A report as taken in: what the reporter said and the stamp. Immutable once stored.
public struct CaseReport: Sendable, Equatable {
    public var category: String
    public var source: CaseSource
    public var description: String
    public var media: [String]
    public var contact: CaseContact
    /// What was sent: the point and its CRS, or the typed address and the match it was placed at.
    public var input: JSONValue
    /// A typed address matched with low confidence: a dispatcher should place it.
    public var needsPlacing: Bool
    public var reportedMs: Int64
    public var stamp: CaseStamp
    /// The client's idempotency key: a retried report with the same key makes no second case.
    public var key: String?
    /// The answers to the category's attributes (code → a value, or a list's keys), as checked
    /// at intake against the category's definition then.
    public var attributes: JSONObject

    public init(category: String, source: CaseSource, description: String, media: [String], contact: CaseContact,
                input: JSONValue, needsPlacing: Bool, reportedMs: Int64, stamp: CaseStamp, key: String?,
                attributes: JSONObject = [:]) {
        (self.category, self.source, self.description, self.media, self.contact) =
            (category, source, description, media, contact)
        (self.input, self.needsPlacing, self.reportedMs, self.stamp, self.key) =
            (input, needsPlacing, reportedMs, stamp, key)
        self.attributes = attributes
    }
}

/// One entry of a case's history: appended, never changed.
public struct CaseEvent: Sendable, Equatable {
    public var seq: Int
    public var atMs: Int64
    public var account: String
    public var role: CaseRole
    /// nil for the report itself (event 1).
    public var action: CaseAction?
    public var from: CaseStage?
    public var to: CaseStage
    public var note: String?
    public var unit: String?
    public var dueMs: Int64?
    public var media: [String]
    /// The case a void names as the one this duplicates.
    public var duplicateOf: Int?

    public init(seq: Int, atMs: Int64, account: String, role: CaseRole, action: CaseAction?, from: CaseStage?,
                to: CaseStage, note: String? = nil, unit: String? = nil, dueMs: Int64? = nil, media: [String] = [],
                duplicateOf: Int? = nil) {
        (self.seq, self.atMs, self.account, self.role, self.action, self.from, self.to) =
            (seq, atMs, account, role, action, from, to)
        (self.note, self.unit, self.dueMs, self.media, self.duplicateOf) = (note, unit, dueMs, media, duplicateOf)
    }
}

/// Where a case stands: derived from its events (`applying`), kept beside them as an index
/// for the queue and the filters.
public struct CaseState: Sendable, Equatable {
    public var id: Int
    public var stage: CaseStage
    public var unit: String?
    public var dueMs: Int64
    public var lastSeq: Int
    public var updatedMs: Int64
    public var reworks: Int
    public var extensions: Int
    public var deferredFrom: CaseStage?
    public var closedMs: Int64?

    public init(id: Int, stage: CaseStage, unit: String?, dueMs: Int64, lastSeq: Int, updatedMs: Int64,
                reworks: Int = 0, extensions: Int = 0, deferredFrom: CaseStage? = nil, closedMs: Int64? = nil) {
        (self.id, self.stage, self.unit, self.dueMs, self.lastSeq, self.updatedMs) =
            (id, stage, unit, dueMs, lastSeq, updatedMs)
        (self.reworks, self.extensions) = (reworks, extensions)
        (self.deferredFrom, self.closedMs) = (deferredFrom, closedMs)
    }

    /// The state after `event`: the one place an event's effect on the state is written
    /// (the log applies it when appending, a replay when reading history).
    public func applying(_ event: CaseEvent) -> CaseState {
        var s = self
        s.lastSeq = event.seq
        s.updatedMs = event.atMs
        if event.to == .deferred && stage != .deferred { s.deferredFrom = stage }
        if stage == .deferred && event.to != .deferred { s.deferredFrom = nil }
        s.stage = event.to
        if let u = event.unit { s.unit = u }
        if let d = event.dueMs { s.dueMs = d }
        if event.action == .fail { s.reworks += 1 }
        if event.action == .extend { s.extensions += 1 }
        if event.to == .closed { s.closedMs = event.atMs }
        return s
    }

    /// Whether the case is open and past its due time at `nowMs` (a deferred case is out of
    /// the count).
    public func isOverdue(at nowMs: Int64) -> Bool { stage.isOpen && stage != .deferred && dueMs < nowMs }
}

/// A case as read back: its report, its history and where it stands.
public struct CaseRecord: Sendable, Equatable {
    public var id: Int
    public var report: CaseReport
    public var events: [CaseEvent]
    public var state: CaseState
}
