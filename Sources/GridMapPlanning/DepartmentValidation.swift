import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// Coverage findings for every department's layer: the parts of the district that none of its
/// units covers (reports of its categories there fall back to the 属地), the overlaps between its
/// units (ambiguous routes: the lower id takes them), each with its area and a location; and
/// the categories whose department has no unit at all. Warnings: a map with them still routes
/// every report, by the rules ROUTE documents. A finding's `grids` are the units concerned.
extension Validator {
    static func networkChecks(_ map: Dataset, _ rules: ValidationRules) throws -> [Finding] {
        guard !map.units.isEmpty || !map.categories.isEmpty else { return [] }
        let resources = ThreadResources.current
        let geos = resources.geos
        let measurer = try resources.measurer()
        let outline = try geos.geometry(map.outline)
        var out: [Finding] = []
        let byDepartment = Dictionary(grouping: map.units, by: \.departmentID)
        for department in byDepartment.keys.sorted() {
            let units = byDepartment[department]!.sorted { $0.id < $1.id }
            let geometries = try units.map { try geos.geometry($0.shape) }
            let covered = try geos.collection(geometries).unaryUnion()
            for part in try outline.difference(covered).parts() {
                let area = try measurer.area(part)
                guard area > rules.sliverArea else { continue }
                out.append(Finding(
                    rule: "unit_gap", severity: .warning, grids: [], location: try? part.pointOnSurface().coordinate(),
                    areaM2: area, message: "no unit of \(department) covers \(Int(area.rounded())) m² here: its "
                        + "categories fall back to the 属地 (grid worker, community, street)"))
            }
            for i in units.indices {
                let a = units[i].shape.bounds
                for j in units.indices where j > i {
                    guard let a, let b = units[j].shape.bounds, a.intersects(b) else { continue }
                    let overlap = try geometries[i].intersection(geometries[j])
                    let area = try measurer.area(overlap)
                    guard area > rules.sliverArea else { continue }
                    out.append(Finding(
                        rule: "unit_overlap", severity: .warning, grids: [units[i].id, units[j].id],
                        location: try? overlap.pointOnSurface().coordinate(), areaM2: area,
                        message: "units \(units[i].id) and \(units[j].id) of \(department) overlap by "
                            + "\(Int(area.rounded())) m²: reports there go to \(units[i].id), the lower id"))
                }
            }
        }
        for c in map.categories {
            guard let d = c.departmentID, byDepartment[d] == nil else { continue }
            out.append(Finding(
                rule: "category_without_units", severity: .warning, grids: [], location: nil, areaM2: nil,
                message: "category \(c.code) (\(c.name)) is \(d)'s, which has no unit: every report of it falls back "
                    + "to the 属地"))
        }
        return out
    }
}
