import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// Drafts live in the store file beside the versions, in tables of their own that, unlike
/// history, are updated in place: a draft is work in progress. Made on first use, so a store
/// written by an older build gains them when a planner first opens a draft.
extension SQLiteStore {
    package static let draftSchema = """
        CREATE TABLE IF NOT EXISTS draft(
            id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, author TEXT NOT NULL, base INTEGER NOT NULL,
            created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, status TEXT NOT NULL, published INTEGER,
            revision INTEGER NOT NULL, log TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS draft_row(
            draft INTEGER NOT NULL, layer TEXT NOT NULL, id TEXT NOT NULL, props TEXT, geom BLOB,
            PRIMARY KEY (draft, layer, id)) WITHOUT ROWID;
        """

    private var hasDrafts: Bool {
        ((try? db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'draft'")) ?? 0) == 1
    }


    public func createDraft(name: String, author: String, base: Int) throws -> DraftInfo {
        try writing {
            try db.execute(SQLiteStore.draftSchema)
            let now = Clock.nowMs
            try db.query(
                "INSERT INTO draft(name, author, base, created_ms, updated_ms, status, revision, log) "
                    + "VALUES (?, ?, ?, ?, ?, 'open', 0, '[]')",
                [.text(name), .text(author), .integer(base), .integer(Int(now)), .integer(Int(now))])
            return try draftInfo(try db.scalar("SELECT last_insert_rowid()") ?? 0)
        }
    }

    public func draftRow(_ id: Int) throws -> DraftInfo? { try draftInfos(where: "id = ?", [.integer(id)]).first }

    /// The open drafts, or every draft with `all`.
    public func draftInfos(all: Bool) throws -> [DraftInfo] { try draftInfos(where: all ? "1" : "status = 'open'") }

    package func draftInfos(where condition: String, _ arguments: [SQLiteValue] = []) throws -> [DraftInfo] {
        guard hasDrafts else { return [] }
        return try named {
            var out: [DraftInfo] = []
            try db.query(
                "SELECT id, name, author, base, created_ms, updated_ms, status, published, revision, log "
                    + "FROM draft WHERE \(condition) ORDER BY id", arguments
            ) { s in
                out.append(
                    DraftInfo(
                        id: s.int(0), name: s.text(1), author: s.text(2), base: s.int(3),
                        createdMs: Int64(s.int(4)), updatedMs: Int64(s.int(5)), status: s.text(6),
                        publishedVersion: s.isNull(7) ? nil : s.int(7),
                        log: (try? JSONParser.parse(s.text(9)))?.array ?? [],
                        revision: s.int(8)))
            }
            return out
        }
    }

    /// The draft's edits: each changed grid and resource as it is in the draft (nil: removed).
    public func draftRows(_ id: Int) throws -> ChangeSet {
        try named {
            var set = ChangeSet()
            try db.query("SELECT layer, id, props, geom FROM draft_row WHERE draft = ?", [.integer(id)]) { s in
                guard let layer = Layer(rawValue: s.text(0)) else { return }
                set.features[layer, default: [:]][s.text(1)] = .some(
                    s.isNull(2) ? nil : FeatureRow(props: s.text(2), geom: s.blob(3)))
            }
            return set
        }
    }

    /// Stores a draft's edits and its log, if nobody saved it since `info` was read.
    public func saveDraftRows(_ info: DraftInfo, rows: ChangeSet, log: [JSONValue]) throws -> Bool {
        try writing {
            do {
                try db.query(
                    "UPDATE draft SET revision = revision + 1, updated_ms = ?, log = ? "
                        + "WHERE id = ? AND revision = ? AND status = 'open'",
                    [
                        .integer(Int(Clock.nowMs)), .text(JSONValue.array(log).serialized),
                        .integer(info.id), .integer(info.revision),
                    ])
                guard db.changes == 1 else { return false }
                try db.query("DELETE FROM draft_row WHERE draft = ?", [.integer(info.id)])
                let insert = try db.prepare("INSERT INTO draft_row VALUES (?, ?, ?, ?, ?)")
                for (layer, rows) in rows.features {
                    for (fid, row) in rows {
                        insert.reset()
                        try insert.bind(1, info.id)
                        try insert.bind(2, layer.rawValue)
                        try insert.bind(3, fid)
                        try insert.bind(4, row?.props)
                        try insert.bind(5, row?.geom)
                        _ = try insert.step()
                    }
                }
                return true
            }
        }
    }

    public func markDraftClosed(_ id: Int, status: String, version: Int?, revision: Int?) throws -> Bool {
        try db.query(
            "UPDATE draft SET status = ?, published = ?, updated_ms = ? WHERE id = ? AND status = 'open'"
                + (revision == nil ? "" : " AND revision = \(revision!)"),
            [
                .text(status), version.map { .integer($0) } ?? .null, .integer(Int(Clock.nowMs)),
                .integer(id),
            ])
        guard db.changes == 1 else { return false }
        try db.query("DELETE FROM draft_row WHERE draft = ?", [.integer(id)])
        return true
    }

    /// Grid codes held by open drafts: reserved, so that two drafts never make the same code.
    public func gridCodesInDrafts() throws -> Set<String> {
        guard hasDrafts else { return [] }
        return try named {
            var out = Set<String>()
            try db.query(
                "SELECT DISTINCT r.id FROM draft_row r JOIN draft d ON d.id = r.draft "
                    + "WHERE d.status = 'open' AND r.layer = 'grids'"
            ) { out.insert($0.text(0)) }
            return out
        }
    }

    /// Ids of `layers` changed by the versions after `base`.
    public func changedIDs(since base: Int, layers: [Layer]) throws -> Set<String> {
        try named {
            var out = Set<String>()
            let list = layers.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            try db.query("SELECT DISTINCT id FROM feature WHERE since > ? AND layer IN (\(list))", [.integer(base)]) {
                out.insert($0.text(0))
            }
            return out
        }
    }

    /// Every grid code the store has held, with the last version that changed it.
    public func gridCodeHistory() throws -> [String: Int] {
        try named {
            var out: [String: Int] = [:]
            try db.query("SELECT id, max(since) FROM feature WHERE layer = 'grids' GROUP BY id") {
                out[$0.text(0)] = $0.int(1)
            }
            return out
        }
    }
}
