import Foundation
import GridMapGeometry
import GridMapModel

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

extension VersionedStore {
    /// The chain checked (ids 1, 2, 3 … each the child of the one before), and each version from
    /// `first` on read back and compared with the counts it recorded when it was published (the
    /// history is append-only: a caller that verified up to a version reads back only the newer
    /// ones). Throws on the first problem; the same for every backend.
    public func verifyVersions(from first: Int = 1) throws -> JSONValue {
        let all = try versions()
        for (i, v) in all.enumerated() {
            guard v.id == i + 1, v.parent == (i == 0 ? nil : i) else {
                throw StoreError(location, "the version chain is broken at version \(v.id) (parent \(v.parent ?? 0))")
            }
            guard v.id >= first else { continue }
            let content = try content(version: v.id, addresses: true)
            guard case .object(let counts)? = v.summary["counts"] else { continue }
            for layer in Layer.featureLayers {
                // A layer newer than the version (calendar) was recorded as none.
                let want = counts[layer.rawValue]?.int ?? 0, have = content.layers[layer]?.count ?? 0
                guard want == have else {
                    throw StoreError(
                        location, "version \(v.id) recorded \(want) \(layer.rawValue) but holds \(have)")
                }
            }
            let held = content.addresses?.count ?? 0
            guard counts["addresses"]?.int == held else {
                let recorded = counts["addresses"]?.int ?? -1
                throw StoreError(location, "version \(v.id) recorded \(recorded) addresses but holds \(held)")
            }
        }
        return ["integrity": "ok", "versions": JSONValue(all.count), "head": JSONValue(all.last?.id ?? 0),
                "read_back": JSONValue(all.filter { $0.id >= first }.count)]
    }
}
