import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// What a draft's redrawn units (one network's areas) do to routing, against its base: the
/// units added, removed or changed, and per department the grids with part of their area in
/// ground that changes hands (with the units there before and after) and the addresses whose
/// responsible unit changes (ROUTE's rule: the lowest id among the department's units that
/// cover the point; none: the 属地 takes it).
public struct RouteImpact: Sendable {
    public struct UnitChange: Sendable {
        public let id: String
        public let department: String
        /// created, retired, redrawn (its area changed) or attributes (name, phone…).
        public let status: String
    }

    public struct GridRoute: Sendable {
        public let grid: String
        public let name: String
        public let department: String
        /// Units of the department covering part of the grid (≥ 1 m²), before and after.
        public let before: [String], after: [String]
        /// The grid's area in ground that changes hands, m².
        public let areaM2: Double
    }

    public struct AddressRoute: Sendable {
        public let id: String
        public let text: String
        public let department: String
        /// The responsible unit before and after; nil: no unit, the 属地.
        public let from: String?, to: String?
    }

    public let units: [UnitChange]
    public let grids: [GridRoute]
    public let addresses: [AddressRoute]

    public static let none = RouteImpact(units: [], grids: [], addresses: [])

    public var json: JSONObject {
        [
            "units_changed": .array(units.map {
                ["id": .string($0.id), "department": .string($0.department), "status": .string($0.status)]
            }),
            "route_grids": .array(grids.map {
                ["grid": .string($0.grid), "name": .string($0.name), "department": .string($0.department),
                 "before": .array($0.before.map { .string($0) }), "after": .array($0.after.map { .string($0) }),
                 "area_m2": JSONValue(($0.areaM2 * 10).rounded() / 10)]
            }),
            "route_addresses_changed": JSONValue(addresses.count),
            "route_addresses": .array(addresses.map {
                ["id": .string($0.id), "address": .string($0.text), "department": .string($0.department),
                 "from": JSONValue($0.from), "to": JSONValue($0.to)]
            }),
        ]
    }

    /// Measures `draft`'s units against `base`'s; `addresses` gives the base's inside a box.
    static func measure(base: Dataset, draft: Dataset, addresses read: (BoundingBox) throws -> [Address]) throws
        -> RouteImpact
    {
        let before = Dictionary(base.units.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(draft.units.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var changes: [UnitChange] = []
        var moved: [String: [(old: Shape?, new: Shape?)]] = [:]  // by department: areas changing hands
        for id in Set(before.keys).union(after.keys).sorted() {
            let b = before[id], a = after[id]
            guard b != a else { continue }
            let department = (a ?? b)!.departmentID
            let status = b == nil ? "created" : a == nil ? "retired"
                : (b!.shape != a!.shape || b!.departmentID != a!.departmentID) ? "redrawn" : "attributes"
            changes.append(UnitChange(id: id, department: department, status: status))
            guard status != "attributes" else { continue }
            if let b, let a, b.departmentID != a.departmentID {
                moved[b.departmentID, default: []].append((b.shape, nil))
                moved[a.departmentID, default: []].append((nil, a.shape))
            } else {
                moved[department, default: []].append((b?.shape, a?.shape))
            }
        }
        guard !moved.isEmpty else { return RouteImpact(units: changes, grids: [], addresses: []) }
        let geos = ThreadResources.current.geos
        let measurer = try ThreadResources.current.measurer()
        var grids: [GridRoute] = [], addresses: [AddressRoute] = []
        for department in moved.keys.sorted() {
            // The ground that changes hands: what each changed unit gained or lost.
            var region: Geometry?
            for (old, new) in moved[department]! {
                let part: Geometry
                switch (old, new) {
                case (let o?, let n?): part = try geos.geometry(o).symmetricDifference(try geos.geometry(n))
                case (let o?, nil): part = try geos.geometry(o)
                case (nil, let n?): part = try geos.geometry(n)
                case (nil, nil): continue
                }
                region = try region.map { try $0.union(part) } ?? part
            }
            guard let region, !region.isEmpty, let box = try region.shape().bounds else { continue }
            let old = base.units.filter { $0.departmentID == department }.sorted { $0.id < $1.id }
            let new = draft.units.filter { $0.departmentID == department }.sorted { $0.id < $1.id }
            let oldShapes = try old.map { try geos.geometry($0.shape) }
            let newShapes = try new.map { try geos.geometry($0.shape) }
            func covering(_ units: [ResponsibilityUnit], _ shapes: [Geometry], _ grid: Geometry) throws -> [String] {
                try units.indices.filter { k in
                    try shapes[k].intersects(grid) && measurer.area(try shapes[k].intersection(grid)) >= 1
                }.map { units[$0].id }
            }
            for g in draft.grids {
                guard let b = g.shape.bounds, b.intersects(box) else { continue }
                let shape = try geos.geometry(g.shape)
                guard try shape.intersects(region) else { continue }
                let area = try measurer.area(try shape.intersection(region))
                guard area >= 1 else { continue }
                grids.append(GridRoute(grid: g.id, name: g.name, department: department,
                                       before: try covering(old, oldShapes, shape),
                                       after: try covering(new, newShapes, shape), areaM2: area))
            }
            // Each address routed by ROUTE's rule (`decide`, exactly) on the base's units and the draft's.
            let oldLayer = old.isEmpty ? nil : try DepartmentUnits.UnitLayer(old, clearCells: false)
            let newLayer = new.isEmpty ? nil : try DepartmentUnits.UnitLayer(new, clearCells: false)
            for a in try read(box) where box.contains(a.location) {
                let from = oldLayer?.decide(at: a.location, exact: true).unit.map { old[$0].id }
                let to = newLayer?.decide(at: a.location, exact: true).unit.map { new[$0].id }
                if from != to {
                    addresses.append(AddressRoute(id: a.id, text: a.text, department: department, from: from, to: to))
                }
            }
        }
        return RouteImpact(units: changes, grids: grids, addresses: addresses)
    }
}
