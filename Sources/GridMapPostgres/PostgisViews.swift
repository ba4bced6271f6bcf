import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// The store's layers as PostGIS sees them: views that QGIS, `ogr2ogr` and SQL open as
/// PostGIS layers (typed `geometry(…, 4326)`, so they are registered in `geometry_columns`).
/// History stays the record (WKB in `feature.geom`); a view decodes it when read. The views
/// of the current map are in the schema `gridmap` (`gridmap.grids`, …); those of one version
/// are made on request in `gridmap_v<N>`.
extension PostgresStore {
    /// Each layer a view is made of: its name, geometry type and the properties as columns.
    package static let viewLayers: [(layer: Layer, type: String, columns: [(String, String)])] = [
        (.streets, "MultiPolygon", [("name", "text"), ("kind", "text")]),
        (.communities, "MultiPolygon", [("name", "text"), ("kind", "text"), ("street_id", "text")]),
        (.grids, "MultiPolygon", [("name", "text"), ("community_id", "text"), ("street_id", "text"),
                                  ("households", "integer"), ("population", "integer")]),
        (.resources, "Point", [("name", "text"), ("kind", "text"), ("grid_id", "text"), ("contact", "text")]),
        (.units, "MultiPolygon", [("name", "text"), ("department", "text")]),
        (.outline, "MultiPolygon", []),
    ]

    /// Whether the database has PostGIS (made available when it is installed and this role may
    /// create the extension).
    public func enablePostGIS() -> Bool {
        if (try? db.text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")) != nil { return true }
        return (try? db.exec("CREATE EXTENSION IF NOT EXISTS postgis")) != nil
    }

    /// Makes (or remakes) the views of the current map, or of version `version` in the schema
    /// `gridmap_v<version>`. Answers the views made; throws when PostGIS is not available.
    @discardableResult
    public func createViews(version: Int? = nil) throws -> [String] {
        guard enablePostGIS() else {
            throw StoreError(location, "PostGIS is not available in this database (install postgresql-15-postgis-3 "
                             + "and allow CREATE EXTENSION postgis)", code: .noPostgis)
        }
        if let version { _ = try self.version(version) }
        let schema = version.map { "gridmap_v\($0)" } ?? "gridmap"
        let bound = version.map { "AND since <= \($0)" } ?? ""
        var made: [String] = []
        try named {
            try db.transaction {
                try db.exec("CREATE SCHEMA IF NOT EXISTS \(schema)")
                for (layer, type, columns) in PostgresStore.viewLayers {
                    let name = "\(schema).\(layer.rawValue)"
                    let props = columns.map { c, t in "(f.props::jsonb ->> '\(c)')::\(t) AS \(c)" }
                    let geometry = type == "Point" ? "ST_GeomFromWKB(f.geom, 4326)"
                        : "ST_Multi(ST_GeomFromWKB(f.geom, 4326))"
                    try db.exec("""
                        CREATE OR REPLACE VIEW \(name) AS
                        SELECT f.id, \((props + ["f.props::jsonb AS properties"]).joined(separator: ", ")),
                            \(geometry)::geometry(\(type), 4326) AS geom
                        FROM (SELECT DISTINCT ON (id) id, props, geom FROM gridmap.feature
                              WHERE layer = '\(layer.rawValue)' \(bound) ORDER BY id, since DESC) f
                        WHERE f.props IS NOT NULL
                        """)
                    made.append(name)
                }
                let name = "\(schema).addresses"
                try db.exec("""
                    CREATE OR REPLACE VIEW \(name) AS
                    SELECT a.id, a.text AS address, a.street, a.community, a.road, a.number, a.compound,
                        a.building, a.unit, a.room, ST_SetSRID(ST_MakePoint(a.lon, a.lat), 4326)::geometry(Point, 4326)
                        AS geom
                    FROM (SELECT DISTINCT ON (id) * FROM gridmap.address WHERE true \(bound)
                          ORDER BY id, since DESC) a
                    WHERE a.live
                    """)
                made.append(name)
            }
        }
        return made
    }
}
