import Foundation

/// Which store a command reads when none is named.
public enum StoreLocation {
    /// The store named, else `$GRIDMAP_STORE`, else the data directory's sibling
    /// `<dir>.gridmap` (`data/yufeng.gridmap` for the bundled data), created from the
    /// directory on first use. Two processes starting at once both end with the same store:
    /// one creates it (atomically), the other opens what the first made.
    public static func resolve(store: String?, data: String?) throws -> String {
        if let store { return store }
        if data == nil, let env = ProcessInfo.processInfo.environment["GRIDMAP_STORE"], !env.isEmpty { return env }
        var dir = data ?? Dataset.defaultDirectory
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        let path = dir + ".gridmap"
        if !FileManager.default.fileExists(atPath: path) {
            do {
                try MapStore.create(path: path, from: try Dataset.load(directory: dir), author: "gridmap",
                                    message: "imported from \(dir)")
            } catch where FileManager.default.fileExists(atPath: path) {
                // Another process created it meanwhile.
            }
        }
        return path
    }
}

extension Snapshot {
    /// A version of a store (the current one by default), built for lookups; its addresses
    /// are read when first geocoding.
    public static func load(store path: String, version: Int? = nil) throws -> Snapshot {
        let store = try MapStore(path: path, readOnly: true)
        let v = try version ?? store.head()
        let snapshot = try Snapshot(dataset: try store.dataset(version: v, addresses: false),
                                    addresses: try store.addressSource(version: v))
        releaseFreedMemory()
        return snapshot
    }
}
