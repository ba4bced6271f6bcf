import GridMapStore
import Synchronization

/// A published version as subscribers hear of it.
public struct VersionEvent: Sendable {
    public let version: Int
    public let parent: Int?
    public let changedGrids: [String]
    public let author: String
    public let message: String

    init(_ info: VersionInfo) {
        (version, parent, changedGrids) = (info.id, info.parent, info.changedGrids)
        (author, message) = (info.author, info.message)
    }

    /// The message SUBSCRIBE delivers: `{"version":…,"parent":…,"changed_grids":[…],…}`.
    public var json: JSONValue {
        [
            "version": JSONValue(version), "parent": parent.map { JSONValue($0) } ?? .null,
            "changed_grids": .array(changedGrids.map { .string($0) }), "author": .string(author),
            "message": .string(message),
        ]
    }
}

/// Who hears of new versions (SUBSCRIBE's connections): each called, on the watcher's thread,
/// once per version made current, in order.
package final class VersionEvents: Sendable {
    private let listeners = Mutex<[Int: @Sendable (VersionEvent) -> Void]>([:])
    private let nextID = Atomic<Int>(0)

    package init() {}

    package func subscribe(_ listener: @escaping @Sendable (VersionEvent) -> Void) -> Int {
        let id = nextID.add(1, ordering: .relaxed).newValue
        listeners.withLock { $0[id] = listener }
        return id
    }

    package func unsubscribe(_ id: Int) { listeners.withLock { _ = $0.removeValue(forKey: id) } }

    /// Tells every listener of `versions`, oldest first.
    package func announce(_ versions: [VersionInfo]) {
        let callbacks = listeners.withLock { Array($0.values) }
        for info in versions {
            let event = VersionEvent(info)
            for f in callbacks { f(event) }
        }
    }
}
