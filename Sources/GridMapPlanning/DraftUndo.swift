import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// Undo of a draft's last operation. Each log entry keeps, under `undo`, the draft rows its
/// operation changed as they were before it: `"base"` where the draft held no row (the base
/// version's feature stood), null where the draft had removed the feature, else the row
/// (properties as text, geometry as base64 WKB). Undo puts those rows back and drops the
/// entry, so operations are undone one by one, newest first, without replaying the others.
enum DraftUndo {
    /// What to keep so that going from `before` to `after` can be undone.
    static func record(before: ChangeSet, after: ChangeSet) -> JSONValue {
        var layers = JSONObject()
        for layer in Set(before.features.keys).union(after.features.keys).sorted(by: { $0.rawValue < $1.rawValue }) {
            let was = before.features[layer] ?? [:], now = after.features[layer] ?? [:]
            // Pairs, not key by key: JSONObject looks keys up in order, and a replaced layer has
            // every grid.
            var rows: [(String, JSONValue)] = []
            for id in Set(was.keys).union(now.keys).sorted() {
                let a = was[id], b = now[id]
                if a == b { continue }
                rows.append((id, a.map { row in row.map(json) ?? .null } ?? .string("base")))
            }
            if !rows.isEmpty { layers[layer.rawValue] = .object(JSONObject(rows)) }
        }
        return .object(layers)
    }

    /// `rows` with the entry's recorded rows put back.
    static func revert(_ rows: ChangeSet, entry: JSONValue, draft: Int) throws -> ChangeSet {
        guard case .object(let layers)? = entry["undo"] else {
            let op = entry["op"]?.string ?? "?"
            throw PlanError(.cannotUndo, "draft \(draft)'s last operation (\(op)) was saved by a build "
                            + "without undo; discard the draft or edit it back")
        }
        var out = rows
        for (name, value) in layers {
            guard let layer = Layer(rawValue: name), case .object(let list) = value else {
                throw PlanError(.cannotUndo, "draft \(draft)'s log has an unreadable undo entry (\(name))")
            }
            for (id, row) in list {
                switch row {
                case .string("base"): out.features[layer, default: [:]].removeValue(forKey: id)
                case .null: out.features[layer, default: [:]][id] = .some(nil)
                default: out.features[layer, default: [:]][id] = .some(try featureRow(row, draft: draft))
                }
            }
        }
        return out
    }

    private static func json(_ row: FeatureRow) -> JSONValue {
        ["props": .string(row.props), "geom": row.geom.map { .string(Data($0).base64EncodedString()) } ?? .null]
    }

    private static func featureRow(_ v: JSONValue, draft: Int) throws -> FeatureRow {
        guard let props = v["props"]?.string else {
            throw PlanError(.cannotUndo, "draft \(draft)'s log has an unreadable undo row")
        }
        var geom: [UInt8]?
        if let text = v["geom"]?.string {
            guard let data = Data(base64Encoded: text) else {
                throw PlanError(.cannotUndo, "draft \(draft)'s log has an unreadable undo geometry")
            }
            geom = Array(data)
        }
        return FeatureRow(props: props, geom: geom)
    }
}

extension Planner {
    /// Removes the draft's last operation: its rows as they were before it, its log entry
    /// dropped. Answers the operation undone and what remains.
    public func undo(draft id: Int) throws -> JSONValue {
        let info = try store { try $0.draftInfo(id) }
        guard info.status == "open" else { throw PlanError(.draftClosed, "draft \(id) is \(info.status)") }
        guard let last = info.log.last else {
            throw PlanError(.nothingToUndo, "draft \(id) has no operation to undo")
        }
        let rows = try DraftUndo.revert(try store { try $0.draftRows(id) }, entry: last, draft: id)
        try store { try $0.saveDraft(info, rows: rows, log: Array(info.log.dropLast())) }
        return ["draft": JSONValue(id), "undone": .string(last["op"]?.string ?? ""),
                "operations": JSONValue(info.log.count - 1), "changed_grids": JSONValue(rows.changedGrids.count)]
    }
}
