import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// A version as a GeoPackage (OGC 12-128r18): one SQLite file with a feature table per layer
/// (outline, streets, communities, grids, resources, addresses), WGS 84, that QGIS and GDAL
/// open as they are. A planner edits it and brings it back with `gridmap store import`:
/// every column but `fid` and `geom` is a property, so attributes round-trip, and geometries
/// are stored as WKB inside GeoPackage's binary header.
public enum GeoPackage {
    package static let applicationID: Int32 = 0x4750_4B47  // "GPKG"
    package static let wgs84 = """
        GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],\
        AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,\
        AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]
        """

    /// Writes `dataset` to a new GeoPackage at `path` (replacing any file there).
    public static func write(_ dataset: Dataset, to path: String) throws {
        let partial = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let db = try SQLiteDatabase(path: partial)
            try db.execute("""
                PRAGMA application_id = \(applicationID); PRAGMA user_version = 10300; PRAGMA journal_mode = OFF;
                CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
                    organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
                    description TEXT);
                CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
                    identifier TEXT UNIQUE, description TEXT DEFAULT '',
                    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
                    srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id));
                CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
                    geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
                    PRIMARY KEY (table_name, column_name));
                CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
                    definition TEXT NOT NULL, scope TEXT NOT NULL,
                    CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
                CREATE TABLE gridmap_meta (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, key TEXT NOT NULL UNIQUE,
                    value TEXT NOT NULL);
                """)
            try db.transaction {
                let row = "(?, ?, ?, ?, ?, ?)"
                try db.query(
                    "INSERT INTO gpkg_spatial_ref_sys VALUES \(row), \(row), \(row)",
                    [
                        "Undefined cartesian SRS", -1, "NONE", -1, "undefined",
                        "undefined cartesian coordinate reference system",
                        "Undefined geographic SRS", 0, "NONE", 0, "undefined",
                        "undefined geographic coordinate reference system",
                        "WGS 84 geodetic", 4326, "EPSG", 4326, .text(wgs84),
                        "longitude/latitude in decimal degrees on WGS 84",
                    ])
                try db.query(
                    "INSERT INTO gridmap_meta (key, value) VALUES ('district_id', ?), ('district_name', ?), "
                        + "('version', ?)",
                    [.text(dataset.districtID), .text(dataset.districtName), .text(dataset.version)])
                try db.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                        + "VALUES ('gridmap_meta', 'attributes', 'gridmap_meta')")
                func layer<T>(
                    _ name: Layer, _ type: String, _ items: [T], _ id: (T) -> String, _ props: (T) -> JSONObject,
                    _ shape: (T) -> Shape?
                ) throws {
                    try writeLayer(db, name.rawValue, type, items.map { (id($0), props($0), shape($0)) })
                }
                try layer(.outline, "MULTIPOLYGON", [dataset.outline], { _ in "outline" }, { _ in ["id": "outline"] },
                          { $0 })
                try layer(.streets, "MULTIPOLYGON", dataset.streets, \.id, \.properties, \.shape)
                try layer(.communities, "MULTIPOLYGON", dataset.communities, \.id, \.properties, \.shape)
                try layer(.grids, "MULTIPOLYGON", dataset.grids, \.id, \.properties, \.shape)
                try layer(.resources, "POINT", dataset.resources, \.id, \.exportedProperties, { .point($0.location) })
                // One network: units as a polygon layer, departments and the catalogue as
                // attribute tables (QGIS opens them as tables without geometry).
                if !dataset.units.isEmpty {
                    try layer(.units, "MULTIPOLYGON", dataset.units, \.id, \.properties, \.shape)
                }
                if !dataset.departments.isEmpty {
                    try layer(.departments, "", dataset.departments, \.id, \.properties, { _ in nil })
                }
                if !dataset.categories.isEmpty {
                    try layer(.categories, "", dataset.categories, \.code, \.properties, { _ in nil })
                }
                if !dataset.calendar.days.isEmpty {
                    try layer(.calendar, "", dataset.calendar.days, \.date, \.properties, { _ in nil })
                }
                try layer(.addresses, "POINT", dataset.addresses, \.id, { a in
                    ["id": .string(a.id), "address": .string(a.text), "street": .string(a.street),
                     "community": .string(a.community), "road": .string(a.road), "number": .string(a.number),
                     "compound": .string(a.compound), "building": .string(a.building), "unit": .string(a.unit),
                     "room": .string(a.room), "grid_id": .string(a.gridID)]
                }, { .point($0.location) })
            }
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: partial, toPath: path)
    }

    private static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func writeLayer(_ db: SQLiteDatabase, _ table: String, _ type: String,
                                   _ rows: [(id: String, props: JSONObject, shape: Shape?)]) throws {
        // `type` empty: an attribute table, rows without geometry.
        let geometry = !type.isEmpty
        // Columns: every property key, in order of first appearance, typed by its first value.
        var columns: [(name: String, type: String)] = []
        for row in rows {
            for (key, value) in row.props where key != "fid" && key != "geom" {
                guard !columns.contains(where: { $0.name == key }) else { continue }
                let sqlType: String
                switch value {
                case .number(let n): sqlType = n == n.rounded() && abs(n) < 1e15 ? "INTEGER" : "REAL"
                case .bool: sqlType = "BOOLEAN"
                default: sqlType = "TEXT"
                }
                columns.append((key, sqlType))
            }
        }
        let definitions = columns.map { "\(quoted($0.name)) \($0.type)" }
        try db.execute("CREATE TABLE \(quoted(table)) (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"
            + (geometry ? ", geom \(type)" : "") + definitions.map { ", " + $0 }.joined() + ")")
        let names = ((geometry ? ["geom"] : []) + columns.map(\.name)).map(quoted).joined(separator: ", ")
        let marks = Array(repeating: "?", count: columns.count + (geometry ? 1 : 0)).joined(separator: ", ")
        let insert = try db.prepare("INSERT INTO \(quoted(table)) (\(names)) VALUES (\(marks))")
        var extent: BoundingBox?
        // Each feature's box, for the layer's R-tree (gpkg_rtree_index): QGIS and GDAL find
        // what is in view through it instead of reading every geometry.
        var boxes: [(fid: Int, box: BoundingBox)] = []
        for (n, row) in rows.enumerated() {
            insert.reset()
            if geometry, let shape = row.shape {
                let box = shape.bounds
                if let box {
                    if extent == nil { extent = box } else { extent!.include(box) }
                    boxes.append((n + 1, box))
                }
                try insert.bind(1, blob(type == "MULTIPOLYGON" ? shape.asMultiPolygon : shape, box: box))
            }
            for (k, column) in columns.enumerated() {
                let index = Int32(k + (geometry ? 2 : 1))
                switch row.props[column.name] {
                case .number(let n)?:
                    if column.type == "INTEGER" && n == n.rounded() && abs(n) < 1e15 { try insert.bind(index, Int(n)) }
                    else { try insert.bind(index, n) }
                case .string(let s)?: try insert.bind(index, s)
                case .bool(let b)?: try insert.bind(index, b ? 1 : 0)
                case nil, .null?: try insert.bind(index, nil as String?)
                case let other?: try insert.bind(index, other.serialized)
                }
            }
            _ = try insert.step()
        }
        guard geometry else {
            try db.query("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES (?, 'attributes', ?)",
                         [.text(table), .text(table)])
            return
        }
        try db.query(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, min_x, min_y, max_x, max_y, srs_id) "
                + "VALUES (?, 'features', ?, ?, ?, ?, ?, 4326)",
            [
                .text(table), .text(table), .real(extent?.minX ?? 0), .real(extent?.minY ?? 0),
                .real(extent?.maxX ?? 0), .real(extent?.maxY ?? 0),
            ])
        try db.query(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)", [.text(table), .text(type)])
        try writeRTree(db, table, boxes)
    }

    /// The layer's spatial index as the GeoPackage standard defines it (F.3, `gpkg_rtree_index`):
    /// an R-tree of feature boxes, registered, and kept current by its triggers when QGIS edits
    /// the layer (the triggers call `ST_MinX` and friends, which GDAL and `SQLiteDatabase` define).
    private static func writeRTree(_ db: SQLiteDatabase, _ table: String, _ boxes: [(fid: Int, box: BoundingBox)])
        throws
    {
        let t = table, r = "rtree_\(table)_geom"
        let values = "(NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom))"
        try db.execute("""
            CREATE VIRTUAL TABLE \(r) USING rtree(id, minx, maxx, miny, maxy);
            CREATE TRIGGER \(r)_insert AFTER INSERT ON \(t) WHEN (NEW.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN INSERT OR REPLACE INTO \(r) VALUES \(values); END;
            CREATE TRIGGER \(r)_update1 AFTER UPDATE OF geom ON \(t)
            WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN INSERT OR REPLACE INTO \(r) VALUES \(values); END;
            CREATE TRIGGER \(r)_update2 AFTER UPDATE OF geom ON \(t)
            WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(r) WHERE id = OLD.fid; END;
            CREATE TRIGGER \(r)_update3 AFTER UPDATE ON \(t)
            WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(r) WHERE id = OLD.fid; INSERT OR REPLACE INTO \(r) VALUES \(values); END;
            CREATE TRIGGER \(r)_update4 AFTER UPDATE ON \(t)
            WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(r) WHERE id IN (OLD.fid, NEW.fid); END;
            CREATE TRIGGER \(r)_delete AFTER DELETE ON \(t) WHEN OLD.geom NOT NULL
            BEGIN DELETE FROM \(r) WHERE id = OLD.fid; END;
            """)
        try db.query("INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', "
                     + "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')", [.text(table)])
        let insert = try db.prepare("INSERT INTO \(r) VALUES (?, ?, ?, ?, ?)")
        for (fid, b) in boxes {
            insert.reset()
            try insert.bind(1, fid)
            // R-tree boxes are 32-bit floats: round outward so that the box still holds the feature.
            try insert.bind(2, Double(Float(b.minX).nextDown))
            try insert.bind(3, Double(Float(b.maxX).nextUp))
            try insert.bind(4, Double(Float(b.minY).nextDown))
            try insert.bind(5, Double(Float(b.maxY).nextUp))
            _ = try insert.step()
        }
    }

    /// A geometry blob's box (its envelope, or its points' when it has none), nil when empty
    /// or not a GeoPackage geometry: what the R-tree triggers' `ST_MinX` … read.
    package static func box(blob: UnsafeRawBufferPointer) -> BoundingBox? {
        guard blob.count >= 8, blob[0] == 0x47, blob[1] == 0x50, blob[3] & 0x10 == 0 else { return nil }
        let flags = blob[3], little = flags & 1 == 1
        if (flags >> 1) & 0x07 != 0, blob.count >= 40 {
            func d(_ at: Int) -> Double {
                var bits: UInt64 = 0
                for k in 0..<8 { bits |= UInt64(blob[at + k]) << (8 * (little ? k : 7 - k)) }
                return Double(bitPattern: bits)
            }
            return BoundingBox(minX: d(8), minY: d(24), maxX: d(16), maxY: d(32))
        }
        return (try? shape(blob: Array(blob)))?.bounds
    }

    /// GeoPackage's geometry blob: "GP", version 0, flags (little-endian; an envelope for
    /// anything but a point), the SRS id, the envelope [minx, maxx, miny, maxy], then WKB.
    package static func blob(_ shape: Shape, box: BoundingBox?) -> [UInt8] {
        var out: [UInt8] = [0x47, 0x50, 0]
        let envelope: [Double]
        if case .point = shape {
            envelope = []
        } else if let box {
            envelope = [box.minX, box.maxX, box.minY, box.maxY]
        } else {
            envelope = []
        }
        out.append(envelope.isEmpty ? 0x01 : 0x03)
        withUnsafeBytes(of: Int32(4326).littleEndian) { out.append(contentsOf: $0) }
        for v in envelope { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out + WKB.encode(shape)
    }

    /// The WKB inside a GeoPackage geometry blob.
    package static func shape(blob: [UInt8]) throws -> Shape {
        guard blob.count >= 8, blob[0] == 0x47, blob[1] == 0x50 else {
            throw GeometryError("not a GeoPackage geometry")
        }
        let flags = blob[3]
        let envelopeBytes: Int
        switch (flags >> 1) & 0x07 {
        case 0: envelopeBytes = 0
        case 1: envelopeBytes = 32
        case 2, 3: envelopeBytes = 48
        case 4: envelopeBytes = 64
        default: throw GeometryError("GeoPackage geometry with an unknown envelope kind")
        }
        return try WKB.decode(blob, offset: 8 + envelopeBytes)
    }

    /// Opens a GeoPackage to read, checking that it is one.
    static func open(_ path: String) throws -> SQLiteDatabase {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.data(path, "file not found") }
        do {
            let db = try SQLiteDatabase(path: path, mode: .readOnly)
            guard try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'gpkg_contents'") == 1 else {
                throw StoreError.data(path, "not a GeoPackage (no gpkg_contents table)")
            }
            return db
        } catch let e as SQLiteError { throw StoreError.data(path, "not a GeoPackage: \(e)") }
    }

    /// The features of one layer (a planner's grids edited in QGIS).
    public static func features(_ layer: Layer, at path: String) throws -> [Feature] {
        do { return try features(layer, in: try open(path), path: path) } catch let e as SQLiteError {
            throw StoreError.data(path, "\(e)")
        }
    }

    /// One layer's features; columns become properties, the geometry column the geometry.
    package static func features(_ layer: Layer, in db: SQLiteDatabase, path: String) throws -> [Feature] {
        let registered = try db.scalar(
            "SELECT count(*) FROM gpkg_contents WHERE table_name = ?", [.text(layer.rawValue)])
        guard registered == 1 else {
            throw StoreError.data(path, "has no layer '\(layer.rawValue)'")
        }
        let geometryColumn = try db.text("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                                         [.text(layer.rawValue)]) ?? "geom"
        let stmt = try db.prepare("SELECT * FROM \(quoted(layer.rawValue))")
        let count = stmt.columnCount
        var out: [Feature] = []
        while try stmt.step() {
            var props = JSONObject(), shape: Shape?
            for c in 0..<count {
                let name = stmt.columnName(c)
                if name == "fid" { continue }
                if name == geometryColumn {
                    if let b = stmt.blob(c) {
                        do { shape = try GeoPackage.shape(blob: b).simplestPolygonal } catch {
                            throw StoreError.data(path, "\(layer.rawValue): \(error)")
                        }
                    }
                    continue
                }
                switch stmt.columnType(c) {
                case .integer: props[name] = JSONValue(stmt.int(c))
                case .real: props[name] = JSONValue(stmt.double(c))
                case .text: props[name] = .string(stmt.text(c))
                case .null, .blob: break
                }
            }
            out.append(Feature(id: props["id"]?.idText, properties: props, geometry: shape))
        }
        return out
    }

    /// Reads a GeoPackage written by `write` (and perhaps edited in QGIS) back as a dataset.
    public static func read(_ path: String) throws -> Dataset {
        let db = try open(path)
        func features(_ layer: Layer) throws -> [Feature] { try GeoPackage.features(layer, in: db, path: path) }
        do {
            var layers = LayerFeatures(outline: try features(.outline), streets: try features(.streets),
                                       communities: try features(.communities), grids: try features(.grids),
                                       resources: try features(.resources))
            // One network's layers are there when the district has them.
            func optional(_ layer: Layer) throws -> [Feature] {
                let n = try db.scalar("SELECT count(*) FROM gpkg_contents WHERE table_name = ?",
                                      [.text(layer.rawValue)])
                return n == 1 ? try features(layer) : []
            }
            (layers.departments, layers.units, layers.categories) = (try optional(.departments), try optional(.units),
                                                                     try optional(.categories))
            layers.calendar = try optional(.calendar)
            let addresses = try features(.addresses).map { f -> Address in
                func t(_ k: String) -> String { f.properties[k]?.idText ?? "" }
                guard case .point(let c) = f.geometry else {
                    throw StoreError.data(path, "address \(t("id")) has no point")
                }
                return Address(
                    id: t("id"), text: t("address"), street: t("street"), community: t("community"), road: t("road"),
                    number: t("number"), compound: t("compound"), building: t("building"), unit: t("unit"),
                    room: t("room"), location: c, gridID: "")
            }
            let meta = { (key: String) in
                (try? db.text("SELECT value FROM gridmap_meta WHERE key = ?", [.text(key)])) ?? nil
            }
            return try Dataset.assemble(layers, addresses: addresses, districtID: meta("district_id") ?? "",
                                        districtName: meta("district_name") ?? "", version: "gpkg",
                                        source: { "\(path) (layer \($0.rawValue))" })
        } catch let e as SQLiteError { throw StoreError.data(path, "\(e)") }
    }
}
