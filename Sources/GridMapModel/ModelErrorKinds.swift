import GridMapGeometry

/// The kind of each model error.

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
