import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

extension SQLiteStore {
    /// What takes version `head`'s content back to version `target`'s (target < head): only
    /// the features and addresses touched after `target`, each as it was then (nil where it
    /// did not exist), so a rollback reads what it undoes, not the whole map.
    public func changes(since target: Int, upTo head: Int) throws -> ChangeSet {
        try named {
            var set = ChangeSet()
            let then = try db.prepare("""
                SELECT props, geom FROM feature WHERE layer = ? AND id = ? AND since <= ? ORDER BY since DESC LIMIT 1
                """)
            try db.query("SELECT DISTINCT layer, id FROM feature WHERE since > ? AND since <= ?",
                         [.integer(target), .integer(head)]) { s in
                guard let layer = Layer(rawValue: s.text(0)) else { return }
                let id = s.text(1)
                then.reset()
                try then.bind(1, layer.rawValue)
                try then.bind(2, id)
                try then.bind(3, target)
                let existed = try then.step() && !then.isNull(0)
                let row: FeatureRow? = existed ? FeatureRow(props: then.text(0), geom: then.blob(1)) : nil
                set.features[layer, default: [:]][id] = .some(row)
            }
            let address = try db.prepare("""
                SELECT live, text, street, community, road, number, compound, building, unit, room, lon, lat
                FROM address WHERE id = ? AND since <= ? ORDER BY since DESC LIMIT 1
                """)
            let touched = "SELECT DISTINCT id FROM address WHERE since > ? AND since <= ?"
            try db.query(touched, [.integer(target), .integer(head)]) { s in
                let id = s.text(0)
                address.reset()
                try address.bind(1, id)
                try address.bind(2, target)
                var a: Address?
                if try address.step(), address.int(0) == 1 {
                    let t = { (k: Int32) in address.text(k) }
                    a = Address(id: id, text: t(1), street: t(2), community: t(3), road: t(4), number: t(5),
                                compound: t(6), building: t(7), unit: t(8), room: t(9),
                                location: Coordinate(address.double(10), address.double(11)), gridID: "")
                }
                set.addresses[id] = .some(a)
            }
            return set
        }
    }

    /// Every version, oldest first.
    public func versions() throws -> [VersionInfo] {
        try named {
            var out: [VersionInfo] = []
            try db.query(
                "SELECT id, parent, published_ms, author, message, changed_grids, summary FROM version ORDER BY id"
            ) {
                out.append(SQLiteStore.versionInfo($0))
            }
            return out
        }
    }

    public func versionRow(_ id: Int) throws -> VersionInfo? {
        try named {
            var found: VersionInfo?
            try db.query(
                "SELECT id, parent, published_ms, author, message, changed_grids, summary FROM version WHERE id = ?",
                [.integer(id)]
            ) { found = SQLiteStore.versionInfo($0) }
            return found
        }
    }

    private static func versionInfo(_ s: SQLiteStatement) -> VersionInfo {
        let grids = (try? JSONParser.parse(s.text(5)))?.array?.compactMap(\.string) ?? []
        let summary = (try? JSONParser.parse(s.text(6)))?.object ?? JSONObject()
        return VersionInfo(id: s.int(0), parent: s.isNull(1) ? nil : s.int(1), publishedMs: Int64(s.int(2)),
                           author: s.text(3), message: s.text(4), changedGrids: grids, summary: summary)
    }

    public func publicationTimes() throws -> [(id: Int, ms: Int64)] {
        try named {
            var out: [(id: Int, ms: Int64)] = []
            try db.query("SELECT id, published_ms FROM version ORDER BY id") {
                out.append(($0.int(0), Int64($0.int(1))))
            }
            return out
        }
    }
}

extension SQLiteStore {
    public func diff(from a: Int, to b: Int) throws -> JSONValue { try contentDiff(from: a, to: b) }
}

extension SQLiteStore {
    /// SQLite's own integrity check (the versions are read back by `verifyVersions`).
    public func backendIntegrity() throws -> JSONObject {
        try named {
            let integrity = try db.text("PRAGMA integrity_check") ?? "no answer"
            guard integrity == "ok" else { throw StoreError(path, "integrity check failed: \(integrity)") }
        }
        return [:]
    }
}

