import Foundation

/// One published version: who published it, when, why, and what it changed.
public struct VersionInfo: Sendable {
    public let id: Int
    public let parent: Int?
    public let publishedMs: Int64
    public let author: String
    public let message: String
    public let changedGrids: [String]
    /// `added`/`changed`/`removed` counts per layer, and `counts`, the live features per layer.
    public let summary: JSONObject

    public var publishedAt: String { VersionInfo.iso(publishedMs) }

    public var json: JSONValue {
        [
            "version": JSONValue(id), "parent": parent.map { JSONValue($0) } ?? .null,
            "published_at": .string(publishedAt),
            "author": .string(author), "message": .string(message),
            "changed_grids": .array(changedGrids.map { .string($0) }), "summary": .object(summary),
        ]
    }

    static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// What a version changed, and how many of each it holds (`addressCount`: its addresses,
    /// counted by the caller when `content` was read without them).
    static func summary(_ changes: ChangeSet, base: StoreContent, content: StoreContent,
                        addressCount: Int) -> JSONObject {
        var added = JSONObject(), changed = JSONObject(), removed = JSONObject(), counts = JSONObject()
        func count(_ name: String, _ ids: some Collection<String>, was: (String) -> Bool, now: (String) -> Bool) {
            added[name] = JSONValue(ids.filter { !was($0) && now($0) }.count)
            changed[name] = JSONValue(ids.filter { was($0) && now($0) }.count)
            removed[name] = JSONValue(ids.filter { was($0) && !now($0) }.count)
        }
        for layer in Layer.featureLayers {
            count(layer.rawValue, (changes.features[layer] ?? [:]).keys,
                  was: { base.layers[layer]?[$0] != nil }, now: { content.layers[layer]?[$0] != nil })
            counts[layer.rawValue] = JSONValue(content.layers[layer]?.count ?? 0)
        }
        count("addresses", changes.addresses.keys, was: { base.addresses?[$0] != nil },
              now: { content.addresses?[$0] != nil })
        counts["addresses"] = JSONValue(addressCount)
        return [
            "added": .object(added), "changed": .object(changed), "removed": .object(removed),
            "counts": .object(counts),
        ]
    }
}

extension MapStore {
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
                out.append(MapStore.versionInfo($0))
            }
            return out
        }
    }

    public func version(_ id: Int) throws -> VersionInfo {
        try named {
            var found: VersionInfo?
            try db.query(
                "SELECT id, parent, published_ms, author, message, changed_grids, summary FROM version WHERE id = ?",
                [.integer(id)]
            ) { found = MapStore.versionInfo($0) }
            guard let found else {
                throw StoreError(path, "no version \(id)", kind: .notFound, code: "unknown_version")
            }
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

extension MapStore {
    public func diff(from a: Int, to b: Int) throws -> JSONValue { try contentDiff(from: a, to: b) }
}

extension VersionedStore {
    /// What changed from version `a` to version `b`, feature by feature: per layer the ids
    /// added and removed, and for each changed feature the attributes that changed (old and
    /// new values) and, where its geometry changed, the area that moved (the area of the
    /// symmetric difference, m²). Addresses are counted, with the first 100 ids of each kind.
    /// The same for every backend: it reads the two versions' contents.
    public func contentDiff(from a: Int, to b: Int) throws -> JSONValue {
        let old = try content(version: a, addresses: true), new = try content(version: b, addresses: true)
        let changes = old.changes(to: new)
        let measurer = try ThreadResources.current.measurer()
        var layers = JSONObject()
        for layer in Layer.featureLayers {
            let rows = changes.features[layer] ?? [:]
            var added: [JSONValue] = [], removed: [JSONValue] = [], changed: [JSONValue] = []
            for id in rows.keys.sorted() {
                guard let before = old.layers[layer]?[id] else { added.append(.string(id)); continue }
                guard let after = new.layers[layer]?[id] else { removed.append(.string(id)); continue }
                var entry: JSONObject = ["id": .string(id)]
                let p0 = (try? JSONParser.parse(before.props))?.object ?? JSONObject()
                let p1 = (try? JSONParser.parse(after.props))?.object ?? JSONObject()
                var attributes = JSONObject()
                for key in Set(p0.map(\.0)).union(p1.map(\.0)).sorted() where p0[key] != p1[key] {
                    attributes[key] = .array([p0[key] ?? .null, p1[key] ?? .null])
                }
                if attributes.count > 0 { entry["attributes"] = .object(attributes) }
                if before.geom != after.geom, let g0 = before.geom, let g1 = after.geom {
                    let geos = measurer.context
                    let before = try geos.geometry(try WKB.decode(g0)), after = try geos.geometry(try WKB.decode(g1))
                    let moved = try before.symmetricDifference(after)
                    entry["geometry"] = ["area_moved_m2": JSONValue((try measurer.area(moved) * 10).rounded() / 10)]
                }
                changed.append(.object(entry))
            }
            layers[layer.rawValue] = ["added": .array(added), "removed": .array(removed), "changed": .array(changed)]
        }
        let addressIDs = changes.addresses.keys.sorted()
        func ids(_ keep: (String) -> Bool) -> JSONValue {
            let list = addressIDs.filter(keep)
            return ["count": JSONValue(list.count), "ids": .array(list.prefix(100).map { .string($0) })]
        }
        layers["addresses"] = [
            "added": ids { old.addresses?[$0] == nil }, "removed": ids { new.addresses?[$0] == nil },
            "changed": ids { old.addresses?[$0] != nil && new.addresses?[$0] != nil },
        ]
        return ["from": JSONValue(a), "to": JSONValue(b), "layers": .object(layers)]
    }
}

extension MapStore {
    /// SQLite's own integrity check (the versions are read back by `verifyVersions`).
    public func backendIntegrity() throws -> JSONObject {
        try named {
            let integrity = try db.text("PRAGMA integrity_check") ?? "no answer"
            guard integrity == "ok" else { throw StoreError(path, "integrity check failed: \(integrity)") }
        }
        return [:]
    }
}

extension VersionedStore {
    /// Every version read back and compared with the counts it recorded when it was published,
    /// and the chain checked (ids 1, 2, 3 … each the child of the one before). Throws on the
    /// first problem; the same for every backend.
    public func verifyVersions() throws -> JSONValue {
        let all = try versions()
        for (i, v) in all.enumerated() {
            guard v.id == i + 1, v.parent == (i == 0 ? nil : i) else {
                throw StoreError(location, "the version chain is broken at version \(v.id) (parent \(v.parent ?? 0))")
            }
            let content = try content(version: v.id, addresses: true)
            guard case .object(let counts)? = v.summary["counts"] else { continue }
            for layer in Layer.featureLayers {
                let want = counts[layer.rawValue]?.int, have = content.layers[layer]?.count ?? 0
                guard want == have else {
                    throw StoreError(
                        location, "version \(v.id) recorded \(want ?? -1) \(layer.rawValue) but holds \(have)")
                }
            }
            let held = content.addresses?.count ?? 0
            guard counts["addresses"]?.int == held else {
                let recorded = counts["addresses"]?.int ?? -1
                throw StoreError(location, "version \(v.id) recorded \(recorded) addresses but holds \(held)")
            }
        }
        return ["integrity": "ok", "versions": JSONValue(all.count), "head": JSONValue(all.last?.id ?? 0)]
    }
}
