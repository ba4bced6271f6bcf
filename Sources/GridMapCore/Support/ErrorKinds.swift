/// The kind of each engine error, in one list, so that the taxonomy can be read in one place.
/// SQLite's, GEOS's internal and any other undeclared error are `internal` by default.

extension AreaError: KindedError {
    public var kind: ErrorKind { .badRequest }
    public var code: String { "bad_area" }
    public var message: String { description }
}

extension QueryError: KindedError {
    public var kind: ErrorKind { .badRequest }
    public var code: String { "bad_query" }
}

extension CRSError: KindedError {
    public var kind: ErrorKind { .badRequest }
}

/// GEOS refusing a geometry a client sent (parse errors, invalid rings) is the client's.
extension GeometryError: KindedError {
    public var kind: ErrorKind { .badRequest }
    public var code: String { "bad_geometry" }
}

extension JoinError: KindedError {
    public var kind: ErrorKind { .badRequest }
    public var code: String { "bad_join" }
    public var message: String { description }
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

/// A planning error's code says its kind: unknown things are not found, a draft overtaken by
/// another publish is a conflict, every other refusal is the planner's request.
extension PlanError: KindedError {
    public var kind: ErrorKind {
        if code.hasPrefix("unknown_") { return .notFound }
        if ["conflict", "draft_changed", "draft_closed"].contains(code) { return .conflict }
        return .badRequest
    }
}

/// Its `message` is without the line; `errorMessage` gives the line too (its description).
extension CSV.ParseError: KindedError {
    public var kind: ErrorKind { .badRequest }
    public var code: String { "bad_csv" }
}
