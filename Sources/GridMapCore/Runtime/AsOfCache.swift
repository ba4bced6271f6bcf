import Synchronization

/// Earlier versions built for as-of queries, at most `capacity`, the least recently used
/// dropped first. Reads take a lock only for the lookup; a build happens outside it.
package final class AsOfCache: Sendable {
    package let capacity: Int
    private let entries = Mutex<[(version: Int, snapshot: Snapshot, used: UInt64)]>([])
    private let clock = Atomic<UInt64>(0)

    package init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Version `version`'s snapshot if it is kept (and marks it used).
    package func snapshot(version: Int) -> Snapshot? {
        let tick = clock.add(1, ordering: .relaxed).newValue
        return entries.withLock { cache -> Snapshot? in
            guard let k = cache.firstIndex(where: { $0.version == version }) else { return nil }
            cache[k].used = tick
            return cache[k].snapshot
        }
    }

    /// Keeps `snapshot` as version `version`'s, dropping the least recently used when full.
    package func keep(_ snapshot: Snapshot, version: Int) {
        let tick = clock.add(1, ordering: .relaxed).newValue
        entries.withLock { cache in
            if cache.contains(where: { $0.version == version }) { return }
            if cache.count >= capacity, let oldest = cache.indices.min(by: { cache[$0].used < cache[$1].used }) {
                cache.remove(at: oldest)
            }
            cache.append((version, snapshot, tick))
        }
    }

    /// The versions kept, for INFO.
    package var versions: [Int] { entries.withLock { $0.map(\.version).sorted() } }
}
