import Synchronization
import GridMapStore

/// Every version's id and publish time, so that an as-of query resolves in memory (on an event
/// loop, without the store). The watcher adds each version it makes current.
final class VersionTimes: Sendable {
    private let times: Mutex<[(id: Int, ms: Int64)]>

    init(_ times: [(id: Int, ms: Int64)]) { self.times = Mutex(times) }

    func add(_ infos: [VersionInfo]) {
        times.withLock { times in
            for info in infos where !times.contains(where: { $0.id == info.id }) {
                times.append((info.id, info.publishedMs))
            }
        }
    }

    /// The version `text` names, or the one live at the moment it names (`AsOf.resolve`).
    func resolve(_ text: String, file: String) throws -> Int {
        try AsOf.resolve(text, among: times.withLock { $0 }, file: file)
    }
}
