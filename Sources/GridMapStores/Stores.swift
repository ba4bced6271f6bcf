import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCases
import GridMapSQLite
import GridMapPostgres

/// The store a location names: a PostgreSQL database (`postgresql://…`, `postgres://…` or
/// libpq's `key=value` form, several hosts allowed) or a SQLite store file.
public enum Stores {
    public static func open(_ location: String, readOnly: Bool = false) throws -> any VersionedStore {
        PostgresStore.isDatabase(location)
            ? try PostgresStore(location) : try SQLiteStore(path: location, readOnly: readOnly)
    }

    /// Whether a store is there to open (a file that exists, a database holding the schema).
    public static func exists(_ location: String) throws -> Bool {
        guard PostgresStore.isDatabase(location) else { return FileManager.default.fileExists(atPath: location) }
        do { _ = try PostgresStore(location); return true } catch let e as StoreError where e.code == "no_store" {
            return false
        }
    }

    /// Creates a store holding `dataset` as version 1 (refused when one is there).
    @discardableResult
    public static func create(_ location: String, from dataset: Dataset, author: String, message: String)
        throws -> any VersionedStore
    {
        PostgresStore.isDatabase(location)
            ? try PostgresStore.create(location, from: dataset, author: author, message: message)
            : try SQLiteStore.create(path: location, from: dataset, author: author, message: message)
    }
}

extension Stores {
    /// The case log kept beside the map in the store `location` names.
    public static func openCaseLog(_ location: String, readOnly: Bool = false) throws -> CaseLog {
        let backend: any CaseBackend = PostgresStore.isDatabase(location)
            ? try PostgresCaseBackend(location) : try SQLiteCaseBackend(path: location, readOnly: readOnly)
        return try CaseLog(backend)
    }
}
