import GridMapGeometry
import GridMapModel
import GridMapStore

/// The parts of a ROUTE reply that depend only on the version, serialized once when the
/// version is built, so that a route costs what a LOCATE does plus a few appends: each
/// category's members, each unit's object and staff, each grid's 属地 chain.
package final class RouteParts: Sendable {
    /// Classes, so that taking one on the hot path is one reference count, not one per member.
    package final class CategoryPart: Sendable {
        package let category: Category
        /// Index into `departments`; nil for a 属地 category or a department without units.
        package let department: Int?
        /// `,"category":{"code":…,"time_limit_hours":N,"received_at":"`, then the two times.
        let head: [UInt8]
        /// `,"handled_by":"…","fallback":null`: the category's own handler.
        let handled: [UInt8]
        /// `,"handled_by":"grid_worker","fallback":"…"`: no unit of the department covers the point.
        let fallback: [UInt8]
        /// `,"department":"…","covering_units":[` for the basis; empty for a 属地 category.
        let basis: [UInt8]
        let calendar: WorkCalendar
        let hasDepartment: Bool

        init(category: Category, department: Int?, head: [UInt8], handled: [UInt8], fallback: [UInt8],
             basis: [UInt8], calendar: WorkCalendar) {
            (self.category, self.department, self.head, self.handled) = (category, department, head, handled)
            (self.fallback, self.basis, self.calendar) = (fallback, basis, calendar)
            hasDepartment = category.departmentID != nil
        }

        /// When a case of the category received at `receivedMs` falls due.
        func due(from receivedMs: Int64) -> Int64 { category.due(from: receivedMs, calendar: calendar) }
    }

    package final class DepartmentPart: Sendable {
        package let layer: DepartmentUnits.UnitLayer
        /// Each unit's `{"id":…,"duty_phone":…}`, in the layer's order.
        let units: PackedBytes
        /// Each unit's id as a JSON string.
        let ids: PackedBytes
        /// Each unit's staff, by resource id.
        let staff: [[Staff]]

        init(layer: DepartmentUnits.UnitLayer, units: PackedBytes, ids: PackedBytes, staff: [[Staff]]) {
            (self.layer, self.units, self.ids, self.staff) = (layer, units, ids, staff)
        }
    }

    /// One of a unit's staff: the resource's index, the index of the grid it is assigned to
    /// (-1: none), and where it is.
    package struct Staff: Sendable {
        let resource: Int
        let grid: Int
        let location: Coordinate
    }

    package let categoryIndex: [String: Int]
    package let categories: [CategoryPart]
    package let departments: [DepartmentPart]
    /// Each grid's `,"chain":[…]` (属地兜底: its grid workers, its community, its street) and the
    /// basis's first members, `,"basis":{"data_version":"…","grid":"…","rule":"…"`.
    package let chains: PackedBytes
    package static let rule = RoutingRule.text

    package init(_ d: Dataset, layers: [String: DepartmentUnits.UnitLayer], departments byID: [String: Department],
         workers: [[Int]], gridByID: [String: Int], communityByID: [String: Int], streetByID: [String: Int],
         ending: [UInt8]) {
        let names = layers.keys.sorted()
        let departmentIndex = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var staffByUnit: [String: [Staff]] = [:]
        for (i, r) in d.resources.enumerated() {
            guard let u = r.properties["unit_id"]?.idText, !u.isEmpty else { continue }
            staffByUnit[u, default: []].append(
                Staff(resource: i, grid: r.gridID.flatMap { gridByID[$0] } ?? -1, location: r.location))
        }
        departments = names.map { name in
            let layer = layers[name]!
            let units = layer.units
            return DepartmentPart(
                layer: layer,
                units: PackedBytes(count: units.count) { k in
                    let u = units[k]
                    let o: JSONValue = [
                        "id": .string(u.id), "name": .string(u.name), "department": .string(u.departmentID),
                        "department_name": JSONValue(byID[u.departmentID]?.name), "duty_phone": .string(u.dutyPhone),
                    ]
                    return Array(o.serialized.utf8)
                },
                ids: PackedBytes(count: units.count) { k in Array(JSONValue.string(units[k].id).serialized.utf8) },
                staff: units.map { u in
                    (staffByUnit[u.id] ?? []).sorted { d.resources[$0.resource].id < d.resources[$1.resource].id }
                })
        }
        var categoryIndex: [String: Int] = [:]
        categories = d.categories.enumerated().map { k, c in
            categoryIndex[c.code] = categoryIndex[c.code] ?? k
            let members: JSONValue = [
                "code": .string(c.code), "name": .string(c.name), "group": .string(c.group),
                "department": JSONValue(c.departmentID), "handler": .string(c.handler.rawValue),
                "time_limit_hours": JSONValue(c.timeLimitHours), "time_basis": .string(c.timeBasis.rawValue),
            ]
            var head = Array(",\"category\":".utf8) + Array(members.serialized.utf8.dropLast())
            head += Array(#","received_at":""#.utf8)
            let handler = JSONValue.string(c.handler.rawValue).serialized
            let handled = Array(",\"handled_by\":\(handler),\"fallback\":null".utf8)
            var fallback = handled, basis: [UInt8] = []
            if let department = c.departmentID {
                // No unit of the department covers the point: the 属地 takes it, and says why.
                let why = JSONValue.string("no unit of \(department) covers this point: the 属地 (grid worker, "
                                           + "community, street) takes it")
                fallback = Array(",\"handled_by\":\"grid_worker\",\"fallback\":\(why.serialized)".utf8)
                basis = Array(",\"department\":\(JSONValue.string(department).serialized),\"covering_units\":[".utf8)
            }
            return CategoryPart(category: c, department: c.departmentID.flatMap { departmentIndex[$0] }, head: head,
                                handled: handled, fallback: fallback, basis: basis, calendar: d.calendar)
        }
        self.categoryIndex = categoryIndex
        chains = PackedBytes(count: d.grids.count) { g in
            let grid = d.grids[g]
            var chain: [JSONValue] = workers[g].map { i in
                let w = d.resources[i]
                return ["level": "grid_worker", "id": .string(w.id), "name": .string(w.name),
                        "contact": JSONValue(w.contact)]
            }
            if let c = communityByID[grid.communityID].map({ d.communities[$0] }) {
                chain.append(["level": "community", "id": .string(c.id), "name": .string(c.name)])
            }
            if let s = streetByID[grid.streetID].map({ d.streets[$0] }) {
                chain.append(["level": "street", "id": .string(s.id), "name": .string(s.name)])
            }
            // `ending` is `,"data_version":"…"}`: the basis opens with the same member.
            let basis = ",\"grid\":\(JSONValue.string(grid.id).serialized),"
                + "\"rule\":\(JSONValue.string(Self.rule).serialized)"
            return Array(",\"chain\":\(JSONValue.array(chain).serialized),\"basis\":{".utf8)
                + Array(ending.dropFirst().dropLast()) + Array(basis.utf8)
        }
    }
}
