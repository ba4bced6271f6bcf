import Foundation
import Synchronization

/// Word of new versions, from a backend that can send it (PostgreSQL's NOTIFY): a hint that
/// wakes the watcher early, never the record. A notification sent while the listener was
/// away is lost, so the watcher always catches up from the last version it applied (the
/// store's head) and still polls, slowly, in case a hint never comes.
public protocol VersionHints: AnyObject {
    /// Waits up to `seconds` for word of new versions; answers their ids (empty: none came).
    /// Throws when the connection is lost (the caller makes a new one).
    func wait(seconds: Double) throws -> [Int]
}

extension VersionedStore {
    /// Hints of new versions on a connection of their own, nil when this backend has none.
    public func versionHints() throws -> (any VersionHints)? {
        guard let store = self as? PostgresStore else { return nil }
        return try PostgresVersionHints(store.db.conninfo)
    }
}

/// LISTEN on a connection of its own (a notification arrives only on the connection that
/// listens, and waiting for one must not hold the store's).
final class PostgresVersionHints: VersionHints {
    private let db: PostgreSQLConnection

    init(_ conninfo: String) throws {
        db = try PostgreSQLConnection(conninfo)
        try db.exec("LISTEN \(PostgresStore.channel)")
    }

    /// The backend's process id, to find (or kill) this connection in `pg_stat_activity`.
    var backendPID: Int { db.backendPID }

    func wait(seconds: Double) throws -> [Int] { try db.notifications(timeout: seconds).compactMap { Int($0) } }
}

/// How far a server is behind the store: the version it serves, the newest it has heard of
/// (from the store's head or a hint), and since when it has been behind. What INFO and
/// `/metrics` report per server, so a load balancer or an operator sees a lagging one.
public final class FollowState: Sendable {
    private let state = Mutex<(newest: Int, behindSince: Date?)>((0, nil))
    /// Hints heard, and whether the hint connection is up now.
    public let hintsHeard = Atomic<Int>(0)
    public let listening = Atomic<Bool>(false)

    /// Records a version seen (`newest`) against the one served.
    func saw(_ version: Int, serving: Int) {
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
