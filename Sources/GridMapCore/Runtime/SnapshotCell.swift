import Synchronization
import GridMapGeometry
import GridMapModel
import GridMapStore

/// The currently published `Snapshot`. A reader takes `current` (a lock held only to copy one
/// reference) and runs its whole query on that version without any lock; `publish` swaps in a
/// version built beside the old one, which stays alive until its last reader lets go. So a
/// lookup never sees half of an update, and an update never waits for lookups.
public final class SnapshotCell: Sendable {
    private let state: Mutex<Snapshot>

    public init(_ snapshot: Snapshot) { state = Mutex(snapshot) }

    public var current: Snapshot { state.withLock { $0 } }

    /// Makes `snapshot` the current version; returns the one it replaced.
    @discardableResult
    public func publish(_ snapshot: Snapshot) -> Snapshot {
        state.withLock { current in
            let old = current
            current = snapshot
            return old
        }
    }
}
