import Foundation
import GridMapGeometry

/// A department that has sunk staff into the grids (街道吹哨、部门报到): 行政执法, 环卫, 市场监管, ….
public struct Department: Equatable, Sendable {
    public var id: String
    public var name: String
    /// The department's own 24-hour line, when it has one besides its units'.
    public var dutyPhone: String?
    public var properties: JSONObject
}

/// One unit of a department (a 执法中队, a 派出所, an 环卫 work zone, a 市场监管所) with the area it
/// is responsible for. A department's units are its layer; their areas need not follow grid,
/// community or street lines.
public struct ResponsibilityUnit: Equatable, Sendable {
    public var id: String
    public var name: String
    public var departmentID: String
    public var dutyPhone: String
    public var shape: Shape
    public var properties: JSONObject
}

/// Who handles a category when the place decides it: the responsible unit of its department,
/// or by 属地 (territorial) responsibility the grid worker, the community or the street.
public enum Handler: String, Sendable, CaseIterable {
    case unit, gridWorker = "grid_worker", community, street
}
