import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// Planning's rules for what a publish of planned changes must carry, applied before the
/// store records it (the store records what it is given): the communities and streets whose
/// grids changed are re-derived from their grids, and a grid code that was retired never
/// comes back. A rollback, which brings back a version's own content, is not planning and
/// skips these rules.
enum Publication {
    /// `changes` on top of version `parent`, completed: what `VersionedStore.publish` takes,
    /// with the new version's dataset.
    static func complete(_ changes: ChangeSet, parent: Int, store: SerialStore) throws
        -> (changes: ChangeSet, dataset: Dataset)
    {
        let withAddresses = !changes.addresses.isEmpty
        let base = try store { try $0.content(version: parent, addresses: withAddresses) }
        let effective = changes.filtered(against: base)
        let next = base.applying(effective)
        // The communities and streets of every grid changed, before and after.
        var communities = Set<String>(), streets = Set<String>()
        for g in Set(effective.changedGrids) {
            for row in [base.layers[.grids]?[g], next.layers[.grids]?[g]] {
                guard let row, let f = try? row.feature(id: g) else { continue }
                if let c = f.properties["community_id"]?.idText { communities.insert(c) }
                if let s = f.properties["street_id"]?.idText { streets.insert(s) }
            }
        }
        for c in communities {
            if let row = next.layers[.communities]?[c],
               let s = try? row.feature(id: c).properties["street_id"]?.idText {
                streets.insert(s)
            }
        }
        let dataset = try store { try $0.dataset(version: parent, addresses: withAddresses) }.applying(
            effective, version: String(parent + 1),
            source: { "\(store.location) version \(parent + 1) (unpublished, \($0.rawValue))" })
        let derived = try dataset.derivingShapes(communities: communities, streets: streets)
        var all = effective
        for c in derived.communities where communities.contains(c.id) {
            let row = FeatureRow(Feature(id: c.id, properties: c.properties, geometry: c.shape))
            if next.layers[.communities]?[c.id] != row { all.features[.communities, default: [:]][c.id] = row }
        }
        for s in derived.streets where streets.contains(s.id) {
            let row = FeatureRow(Feature(id: s.id, properties: s.properties, geometry: s.shape))
            if next.layers[.streets]?[s.id] != row { all.features[.streets, default: [:]][s.id] = row }
        }
        // A grid new to this version whose code the store held before: retired, not reused.
        let added = (all.features[.grids] ?? [:]).filter { $0.value != nil && base.layers[.grids]?[$0.key] == nil }
        if !added.isEmpty {
            let history = try store { try $0.gridCodeHistory() }
            for g in added.keys.sorted() {
                if let v = history[g] {
                    throw StoreError(store.location, "grid code \(g) was retired in version \(v); "
                                     + "a retired code is never reused", code: .retiredCode)
                }
            }
        }
        return (all, derived)
    }
}
