import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapStores

extension Snapshot {
    /// A version of a store (the current one by default), built for lookups; its addresses
    /// are read when first geocoding.
    public static func load(store path: String, version: Int? = nil) throws -> Snapshot {
        let store = try Stores.open(path, readOnly: true)
        let v = try version ?? store.head()
        let snapshot = try Snapshot(dataset: try store.dataset(version: v, addresses: false),
                                    addresses: try store.addressSource(version: v, reuse: nil))
        releaseFreedMemory()
        return snapshot
    }
}
