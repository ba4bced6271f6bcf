import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// Drafts in the database, as `SQLiteStore`'s in its file: updated in place (work in progress),
/// each save conditional on the revision the planner read.
extension PostgresStore {
    public func createDraft(name: String, author: String, base: Int) throws -> DraftInfo {
        let id: Int = try writing {
            let now = Int(Clock.nowMs)
            return try db.scalar(
                "INSERT INTO gridmap.draft(name, author, base, created_ms, updated_ms, status, revision, log) "
                    + "VALUES ($1, $2, $3, $4, $4, 'open', 0, '[]') RETURNING id",
                [.text(name), .text(author), .int(base), .int(now)]) ?? 0
        }
        return try draftInfo(id)
    }

    public func draftRow(_ id: Int) throws -> DraftInfo? { try draftInfos(where: "id = $1", [.int(id)]).first }

    public func draftInfos(all: Bool) throws -> [DraftInfo] {
        try draftInfos(where: all ? "true" : "status = 'open'")
    }

    private func draftInfos(where condition: String, _ arguments: [PGValue] = []) throws -> [DraftInfo] {
        try named {
            var out: [DraftInfo] = []
            try db.query(
                "SELECT id, name, author, base, created_ms, updated_ms, status, published, revision, log "
                    + "FROM gridmap.draft WHERE \(condition) ORDER BY id", arguments
            ) { r in
                out.append(
                    DraftInfo(
                        id: r.int(0), name: r.text(1), author: r.text(2), base: r.int(3),
                        createdMs: Int64(r.int(4)), updatedMs: Int64(r.int(5)), status: r.text(6),
                        publishedVersion: r.isNull(7) ? nil : r.int(7),
                        log: (try? JSONParser.parse(r.text(9)))?.array ?? [], revision: r.int(8)))
            }
            return out
        }
    }

    public func draftRows(_ id: Int) throws -> ChangeSet {
        try named {
            var set = ChangeSet()
            try db.query("SELECT layer, id, props, geom FROM gridmap.draft_row WHERE draft = $1", [.int(id)]) { r in
                guard let layer = Layer(rawValue: r.text(0)) else { return }
                set.features[layer, default: [:]][r.text(1)] = .some(
                    r.isNull(2) ? nil : FeatureRow(props: r.text(2), geom: r.isNull(3) ? nil : r.blob(3)))
            }
            return set
        }
    }

    public func saveDraftRows(_ info: DraftInfo, rows: ChangeSet, log: [JSONValue]) throws -> Bool {
        try writing {
            let updated = try db.query(
                "UPDATE gridmap.draft SET revision = revision + 1, updated_ms = $1, log = $2 "
                    + "WHERE id = $3 AND revision = $4 AND status = 'open'",
                [.int(Int(Clock.nowMs)), .text(JSONValue.array(log).serialized), .int(info.id),
                 .int(info.revision)])
            guard updated == 1 else { return false }
            try db.query("DELETE FROM gridmap.draft_row WHERE draft = $1", [.int(info.id)])
            guard rows.features.values.contains(where: { !$0.isEmpty }) else { return true }
            try db.copy("COPY gridmap.draft_row FROM STDIN") { w in
                for (layer, rows) in rows.features {
                    for (fid, row) in rows {
                        try w.row([.int(info.id), .text(layer.rawValue), .text(fid), PGValue(row?.props),
                                   PGValue(row?.geom)])
                    }
                }
            }
            return true
        }
    }

    public func markDraftClosed(_ id: Int, status: String, version: Int?, revision: Int?) throws -> Bool {
        var arguments: [PGValue] = [.text(status), version.map { .int($0) } ?? .null, .int(Int(Clock.nowMs)),
                                    .int(id)]
        if let revision { arguments.append(.int(revision)) }
        let updated = try db.query(
            "UPDATE gridmap.draft SET status = $1, published = $2, updated_ms = $3 WHERE id = $4 AND status = 'open'"
                + (revision == nil ? "" : " AND revision = $5"), arguments)
        guard updated == 1 else { return false }
        try db.query("DELETE FROM gridmap.draft_row WHERE draft = $1", [.int(id)])
        return true
    }

    public func gridCodesInDrafts() throws -> Set<String> {
        try named {
            var out = Set<String>()
            try db.query("SELECT DISTINCT r.id FROM gridmap.draft_row r JOIN gridmap.draft d ON d.id = r.draft "
                         + "WHERE d.status = 'open' AND r.layer = 'grids'") { out.insert($0.text(0)) }
            return out
        }
    }
}

extension PostgresStore: VersionBackend {}
