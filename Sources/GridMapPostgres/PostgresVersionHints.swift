import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

extension PostgresStore {
    /// LISTEN on a connection of its own: NOTIFY wakes the watcher as a version is published.
    public func versionHints() throws -> (any VersionHints)? { try PostgresVersionHints(db.conninfo) }
    public var sendsVersionHints: Bool { true }
}

/// LISTEN on a connection of its own (a notification arrives only on the connection that
/// listens, and waiting for one must not hold the store's).
package final class PostgresVersionHints: VersionHints {
    private let db: PostgreSQLConnection

    package init(_ conninfo: String) throws {
        db = try PostgreSQLConnection(conninfo)
        try db.exec("LISTEN \(PostgresStore.channel)")
    }

    /// The backend's process id, to find (or kill) this connection in `pg_stat_activity`.
    package var backendPID: Int { db.backendPID }

    package func wait(seconds: Double) throws -> [Int] { try db.notifications(timeout: seconds).compactMap { Int($0) } }
}
