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
        let geometry = json["geometry"]
        let properties = json["properties"]?.object ?? JSONObject()
        return Feature(id: json["id"]?.idText, properties: properties,
                       geometry: geometry == nil || geometry == .null ? nil : try shape(geometry!))
    }

    public static func shape(_ json: JSONValue) throws -> Shape {
        guard let type = json["type"]?.string else { throw GeoJSONError("geometry without a 'type'") }
        if type == "GeometryCollection" {
            guard let list = json["geometries"]?.array else {
                throw GeoJSONError("GeometryCollection without 'geometries'")
            }
            return .collection(try list.map(shape))
        }
        guard let c = json["coordinates"] else { throw GeoJSONError("\(type) without 'coordinates'") }
        switch type {
        case "Point": return .point(try position(c))
        case "MultiPoint": return .multiPoint(try positions(c))
        case "LineString": return .lineString(try positions(c))
        case "MultiLineString": return .multiLineString(try list(c).map(positions))
        case "Polygon": return .polygon(try list(c).map(positions))
        case "MultiPolygon": return .multiPolygon(try list(c).map { try list($0).map(positions) })
        default: throw GeoJSONError("unknown geometry type '\(type)'")
        }
    }

    private static func list(_ json: JSONValue) throws -> [JSONValue] {
        guard let a = json.array else { throw GeoJSONError("expected an array of coordinates") }
        return a
    }

    private static func positions(_ json: JSONValue) throws -> [Coordinate] { try list(json).map(position) }

    private static func position(_ json: JSONValue) throws -> Coordinate {
        guard let a = json.array, a.count >= 2, let x = a[0].number, let y = a[1].number else {
            throw GeoJSONError("a position must be an array of at least two numbers")
        }
        return Coordinate(x, y)
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
