/// The kind of each geometry, coordinate and JSON error.

extension CRSError: KindedError {
    public var kind: ErrorKind { .badRequest }
}

/// GEOS refusing a geometry a client sent (parse errors, invalid rings) is the client's.
extension GeometryError: KindedError {
    public var kind: ErrorKind { .badRequest }
    public var code: String { "bad_geometry" }
}

extension JSONError: KindedError {
    public var kind: ErrorKind { .badRequest }
    public var code: String { "bad_json" }
    public var message: String { description }
}

extension GeoJSONError: KindedError {
    public var kind: ErrorKind { .badRequest }
    public var code: String { "bad_geojson" }
}
