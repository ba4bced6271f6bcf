import Foundation
import Synchronization
import GridMapGeometry
import GridMapModel
import GridMapStore

/// How far a server is behind the store: the version it serves, the newest it has heard of
/// (from the store's head or a hint), and since when it has been behind. What INFO and
/// `/metrics` report per server, so a load balancer or an operator sees a lagging one.
public final class FollowState: Sendable {
    private let state = Mutex<(newest: Int, behindSince: Date?)>((0, nil))
    /// Hints heard, and whether the hint connection is up now.
    public let hintsHeard = Atomic<Int>(0)
    public let listening = Atomic<Bool>(false)

    /// Records a version seen (`newest`) against the one served.
    package func saw(_ version: Int, serving: Int) {
        state.withLock { s in
            s.newest = max(s.newest, version)
            if s.newest > serving { s.behindSince = s.behindSince ?? Date() } else { s.behindSince = nil }
        }
    }

    /// The newest version heard of, versions behind, and seconds behind (0 when current).
    public func lag(serving: Int) -> (newest: Int, versions: Int, seconds: Double) {
        state.withLock { s in
            let newest = max(s.newest, serving)
            guard newest > serving, let since = s.behindSince else { return (newest, 0, 0) }
            return (newest, newest - serving, -since.timeIntervalSinceNow)
        }
    }
}
