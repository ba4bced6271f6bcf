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
        do { _ = try PostgresStore(location); return true } catch let e as StoreError where e.typed == .noStore {
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

extension Stores {
    /// Whether `location` names a PostgreSQL database rather than a store file.
    public static func isDatabase(_ location: String) -> Bool { PostgresStore.isDatabase(location) }

    /// Makes the PostGIS views of the PostgreSQL store `location` names (QGIS, ogr2ogr): the
    /// current map's, or version `version`'s in a schema of its own; answers their names.
    public static func createViews(_ location: String, version: Int? = nil) throws -> [String] {
        try PostgresStore(location).createViews(version: version)
    }
}

/// GeoPackage files (OGC's format, an SQLite database: what QGIS edits), read and written by
/// the SQLite backend's target, reached from here so that planning and the CLI name no backend.
public enum GeoPackageFiles {
    public static func read(_ path: String) throws -> Dataset { try GeoPackage.read(path) }
    public static func write(_ dataset: Dataset, to path: String) throws { try GeoPackage.write(dataset, to: path) }
    /// One layer's features as the file holds them (a layer edited in QGIS).
    public static func features(_ layer: Layer, at path: String) throws -> [Feature] {
        try GeoPackage.features(layer, at: path)
    }
}
