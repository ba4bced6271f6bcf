import GridMapGeometry

/// A planning operation or publish that cannot be done, with a stable code a client can
/// branch on (`not_crossing`, `not_adjacent`, `conflict`, …) and a message a planner can act
/// on. An operation that throws leaves its draft unchanged.
public struct PlanError: Error, CustomStringConvertible, Equatable, Sendable {
    public let code: String
    public let message: String
    /// The grids (or resources) the error is about.
    public let ids: [String]

    public init(_ code: String, _ message: String, ids: [String] = []) {
        self.code = code
        self.message = message
        self.ids = ids
    }

    public var description: String { "\(code): \(message)" }

    package static func unknownGrid(_ id: String) -> PlanError {
        PlanError("unknown_grid", "no grid \(id) in this draft", ids: [id])
    }
}
