import Foundation
import Synchronization
import GridMapGeometry
import GridMapModel

/// Word of new versions, from a backend that can send it (PostgreSQL's NOTIFY): a hint that
/// wakes the watcher early, never the record. A notification sent while the listener was
/// away is lost, so the watcher always catches up from the last version it applied (the
/// store's head) and still polls, slowly, in case a hint never comes.
public protocol VersionHints: AnyObject {
    /// Waits up to `seconds` for word of new versions; answers their ids (empty: none came).
    /// Throws when the connection is lost (the caller makes a new one).
    func wait(seconds: Double) throws -> [Int]
}

