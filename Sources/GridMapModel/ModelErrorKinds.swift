import GridMapGeometry

/// The kind of each model error.

/// A planning error's kind is declared beside its code (`PlanError.Code.kind`).
extension PlanError: KindedError {
    public var kind: ErrorKind { typed.kind }
}

/// Its `message` is without the line; `errorMessage` gives the line too (its description).
extension CSV.ParseError: KindedError {
    public var kind: ErrorKind { .badRequest }
    public var code: String { "bad_csv" }
}
