import Foundation
import GridMapCore
import Synchronization
import GridMapSQLite
import GridMapPostgres
import GridMapStores
import GridMapPlanning

/// The PostgreSQL server the tests may use: `$GRIDMAP_TEST_POSTGRES`, a libpq `key=value`
/// connection string to a database of a server the tests may create databases on (`.ci/run`
/// starts one with `tools/pg.sh`). Each store a test makes gets a database of its own,
/// dropped when the test process exits.
public enum TestDatabase {
    public static var server: String? {
        let s = ProcessInfo.processInfo.environment["GRIDMAP_TEST_POSTGRES"] ?? ""
        return s.isEmpty ? nil : s
    }

    private static let made = Mutex<[String]>([])
    private static let cleanup: Void = {
        atexit {
            guard let server = TestDatabase.server, let admin = try? PostgreSQLConnection(server) else { return }
            for name in TestDatabase.made.withLock({ $0 }) {
                _ = try? admin.exec("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
    }()

    /// A new, empty database on the server, as a connection string.
    public static func create(_ label: String = "t") throws -> String {
        guard let server else { throw TestDatabaseMissing() }
        _ = cleanup
        let name = "gm_\(label)_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try PostgreSQLConnection(server).exec("CREATE DATABASE \(name)")
        made.withLock { $0.append(name) }
        return connection(to: name)
    }

    /// The server's connection string, pointed at database `name` (libpq takes the last `dbname`).
    public static func connection(to name: String) -> String { (server ?? "") + " dbname=\(name)" }

    /// Runs SQL as the server's administrator (to break things on purpose).
    public static func admin(_ sql: String) throws { try PostgreSQLConnection(server ?? "").exec(sql) }
}

public struct TestDatabaseMissing: Error, CustomStringConvertible {
    public var description: String { "GRIDMAP_TEST_POSTGRES is not set: no PostgreSQL server for the tests" }
}

/// Which backend a store test runs on. Every backend-neutral store and planning test runs
/// on each: SQLite always, PostgreSQL when `$GRIDMAP_TEST_POSTGRES` names a server (`.ci/run`
/// sets it; `tools/test.sh` says when it is missing).
public enum StoreBackend: String, Sendable, CustomStringConvertible {
    case sqlite, postgresql

    public static var available: [StoreBackend] { TestDatabase.server == nil ? [.sqlite] : [.sqlite, .postgresql] }
    public var description: String { rawValue }

    /// A location where no store is yet: a file path, or a new database.
    public func newLocation(_ label: String = "store") throws -> String {
        switch self {
        case .sqlite: return Scratch.path(label) + ".gridmap"
        case .postgresql: return try TestDatabase.create()
        }
    }
}
