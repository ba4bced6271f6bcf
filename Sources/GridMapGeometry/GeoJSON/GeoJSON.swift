/// A GeoJSON feature with its properties (GEOS's own GeoJSON reader drops them).
public struct Feature: Equatable, Sendable {
    public var id: String?
    public var properties: JSONObject
    public var geometry: Shape?

    public init(id: String?, properties: JSONObject, geometry: Shape?) {
        self.id = id
        self.properties = properties
        self.geometry = geometry
    }

    /// `id` from the feature itself, else from its properties.
    public var identifier: String? { id ?? properties["id"]?.idText }
}

public struct GeoJSONError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reading and writing GeoJSON (RFC 7946).
public enum GeoJSON {
    /// Features from a FeatureCollection, a single Feature, or a bare geometry.
    public static func features(from json: JSONValue) throws -> [Feature] {
        try checkCRS(json)
        switch json["type"]?.string {
        case "FeatureCollection":
            guard let list = json["features"]?.array else {
                throw GeoJSONError("FeatureCollection without a 'features' array")
            }
            return try list.enumerated().map { k, item in
                do { return try feature(item) } catch let e as GeoJSONError {
                    throw GeoJSONError("feature \(k): \(e.message)")
                }
            }
        case "Feature": return [try feature(json)]
        case .some: return [Feature(id: nil, properties: JSONObject(), geometry: try shape(json))]
        case .none: throw GeoJSONError("not GeoJSON: no 'type' member")
        }
    }

    public static func features(fromText text: String) throws -> [Feature] {
        try features(from: try JSONParser.parse(text))
    }

    public static func feature(_ json: JSONValue) throws -> Feature {
        guard json["type"]?.string == "Feature" else { throw GeoJSONError("expected type 'Feature'") }
        try checkCRS(json)
        let geometry = json["geometry"]
        let properties = json["properties"]?.object ?? JSONObject()
        return Feature(id: json["id"]?.idText, properties: properties,
                       geometry: geometry == nil || geometry == .null ? nil : try shape(geometry!))
    }

    /// The names of WGS 84 lon/lat a (pre-RFC 7946) `crs` member may give; QGIS writes the first.
    package static let wgs84Names: Set<String> = [
        "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "ogc:crs84", "crs84", "epsg:4326",
        "urn:ogc:def:crs:epsg::4326",
    ]

    /// A `crs` member naming anything but WGS 84 is refused: its coordinates would be read as
    /// lon/lat and land somewhere else entirely.
    package static func checkCRS(_ json: JSONValue) throws {
        guard let crs = json["crs"], crs != .null else { return }
        let name = crs["properties"]?["name"]?.string
        guard let name, wgs84Names.contains(name.lowercased()) else {
            throw GeoJSONError("'crs' names \(name.map { "'\($0.prefix(80))'" } ?? "no CRS gridmap reads"): GeoJSON "
                               + "is read as WGS 84 lon/lat only (RFC 7946); reproject it to WGS 84 first")
        }
    }

    public static func shape(_ json: JSONValue) throws -> Shape {
        guard let type = json["type"]?.string else { throw GeoJSONError("geometry without a 'type'") }
        try checkCRS(json)
        if type == "GeometryCollection" {
            guard let list = json["geometries"]?.array else {
                throw GeoJSONError("GeometryCollection without 'geometries'")
            }
            return .collection(try list.map(shape))
        }
        guard let c = json["coordinates"] else { throw GeoJSONError("\(type) without 'coordinates'") }
        let at = "coordinates"
        switch type {
        case "Point": return .point(try position(c, at))
        case "MultiPoint": return .multiPoint(try positions(c, at))
        case "LineString": return .lineString(try positions(c, at))
        case "MultiLineString":
            return .multiLineString(try list(c, at).enumerated().map { try positions($1, at + "[\($0)]") })
        case "Polygon": return .polygon(try list(c, at).enumerated().map { try positions($1, at + "[\($0)]") })
        case "MultiPolygon":
            return .multiPolygon(try list(c, at).enumerated().map { k, polygon in
                try list(polygon, at + "[\(k)]").enumerated().map { try positions($1, at + "[\(k)][\($0)]") }
            })
        default: throw GeoJSONError("unknown geometry type '\(type)'")
        }
    }

    /// `path` names where in the geometry a problem is (`coordinates[0][12]`).
    private static func list(_ json: JSONValue, _ path: String) throws -> [JSONValue] {
        guard let a = json.array else { throw GeoJSONError("\(path): expected an array of coordinates") }
        return a
    }

    private static func positions(_ json: JSONValue, _ path: String) throws -> [Coordinate] {
        try list(json, path).enumerated().map { try position($1, path + "[\($0)]") }
    }

    /// Two numbers or more (a height, ignored), every one a number.
    private static func position(_ json: JSONValue, _ path: String) throws -> Coordinate {
        guard let a = json.array, a.count >= 2 else {
            throw GeoJSONError("\(path): a position must be an array of at least two numbers")
        }
        for (k, v) in a.enumerated() where v.number == nil {
            throw GeoJSONError("\(path)[\(k)]: \(v.serialized.prefix(40)) is not a number")
        }
        return Coordinate(a[0].number!, a[1].number!)
    }

    // MARK: Writing

    public static func json(_ shape: Shape) -> JSONValue {
        func pos(_ c: Coordinate) -> JSONValue { .array([.number(c.x), .number(c.y)]) }
        func line(_ cs: [Coordinate]) -> JSONValue { .array(cs.map(pos)) }
        func rings(_ rs: [[Coordinate]]) -> JSONValue { .array(rs.map(line)) }
        let coordinates: JSONValue
        switch shape {
        case .point(let c): coordinates = pos(c)
        case .multiPoint(let cs), .lineString(let cs): coordinates = line(cs)
        case .multiLineString(let ls): coordinates = rings(ls)
        case .polygon(let rs): coordinates = rings(rs)
        case .multiPolygon(let ps): coordinates = .array(ps.map(rings))
        case .collection(let gs):
            return .object(JSONObject([("type", "GeometryCollection"), ("geometries", .array(gs.map(json)))]))
        }
        return .object(JSONObject([("type", .string(shape.typeName)), ("coordinates", coordinates)]))
    }

    public static func json(_ feature: Feature) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("type", "Feature")]
        if let id = feature.id { pairs.append(("id", .string(id))) }
        pairs.append(("properties", .object(feature.properties)))
        pairs.append(("geometry", feature.geometry.map(json) ?? .null))
        return .object(JSONObject(pairs))
    }

    /// A FeatureCollection with one feature per line, so that a changed feature is a
    /// changed line in a diff.
    public static func text(_ features: [Feature]) -> String {
        var out: [UInt8] = []
        out.appendText(#"{"type":"FeatureCollection","features":["#)
        out.appendText("\n")
        for (k, f) in features.enumerated() {
            json(f).append(to: &out)
            k + 1 < features.count ? out.appendText(",\n") : out.appendText("\n")
        }
        out.appendText("]}\n")
        return String(decoding: out, as: UTF8.self)
    }
}
