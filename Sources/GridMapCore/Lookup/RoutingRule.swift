import GridMapGeometry

/// Who must act on a report at a point, decided once for ROUTE, the routed join and the
/// planner's impact report: among the category's department's units whose closed area covers
/// the point, the one with the lowest id; when none covers it, the 属地 (the grid's workers,
/// its community, its street) takes it.
package enum RoutingRule {
    /// How the rule is stated in a route's `basis`.
    package static let text = "closed areas; among those covering the point, the lowest id"
    /// How near another unit's area a point is said to lie near a border (ROUTE's default).
    package static let defaultBorderMetres = 15.0

    /// The responsible unit among `covering`, indices into a department's units in id order
    /// (so the lowest index is the lowest id); nil when none covers the point: the 属地 takes it.
    @inline(__always)
    package static func responsible(among covering: [Int]) -> Int? { covering.min() }
}

/// What the rule decided at a point for one department.
package struct RouteDecision {
    /// The responsible unit (an index into the department's units), nil for the 属地.
    package let unit: Int?
    /// Every unit covering the point, ascending (more than one only where units overlap).
    package let covering: [Int]
    /// Whether an edge of the department's units may lie within the clear cells' clearance.
    package let nearEdge: Bool
}

extension DepartmentUnits.UnitLayer {
    /// The rule at `p` for this department (`exact`: decided on the true coordinates even where
    /// the clear cells would answer).
    @inline(__always)
    package func decide(at p: Coordinate, exact: Bool = false) -> RouteDecision {
        let found = covering(p, exact: exact)
        return RouteDecision(unit: RoutingRule.responsible(among: found.units), covering: found.units,
                             nearEdge: found.nearEdge)
    }

    /// `decide(at: p).unit`, without building the decision where a clear cell answers (the
    /// routed join asks it once per row).
    @inline(__always)
    package func decidedUnit(at p: Coordinate) -> Int? {
        let set = exactOnly ? -1 : clear.set(at: p)
        if set >= 0 {
            let unit = responsibleInSet[set]
            return unit < 0 ? nil : Int(unit)
        }
        return decide(at: p).unit
    }
}
