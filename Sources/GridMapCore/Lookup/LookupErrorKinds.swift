import GridMapGeometry
import GridMapModel
import GridMapStore

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
