import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// Whom a draft affects, against its base: per changed grid its area, households,
/// population and addresses before and after; the addresses (and, estimated, residents)
/// that change grid; staff and other resources affected; codes created and retired.
public struct ImpactReport: Sendable {
    public struct GridChange: Sendable {
        public let id: String
        public let name: String
        public let status: String  // created, retired, changed
        public let before: Figures?
        public let after: Figures?
        /// How the after figures were obtained: entered (or kept), or estimated from addresses.
        public let figures: String
    }

    public struct Figures: Sendable {
        public let areaM2: Double
        public let households: Int
        public let population: Int
        public let addresses: Int
    }

    public struct MovedAddress: Sendable {
        public let id: String
        public let text: String
        public let location: Coordinate
        public let from: String
        public let to: String
    }

    public struct StaffChange: Sendable {
        public let id: String
        public let name: String
        public let kind: String
        public let from: String?
        public let to: String?
    }

    public let base: Int
    public let grids: [GridChange]
    public let movedAddresses: [MovedAddress]
    /// Residents in the moved addresses: each moved address counts its old grid's population
    /// divided by that grid's addresses (residents are not counted per address).
    public let residentsMoved: Int
    public let staff: [StaffChange]
    /// Resources other than staff whose grid (where they stand) changes.
    public let resources: [StaffChange]
    public let created: [String]
    public let retired: [String]
    /// What redrawn units do to routing (一张网).
    public let routes: RouteImpact
    /// The shapes the picture draws: before and after, by grid id.
    public let shapesBefore: [String: Shape]
    public let shapesAfter: [String: Shape]

    public var json: JSONValue {
        func figures(_ f: Figures?) -> JSONValue {
            guard let f else { return .null }
            return [
                "area_m2": JSONValue((f.areaM2 * 10).rounded() / 10), "households": JSONValue(f.households),
                "population": JSONValue(f.population), "addresses": JSONValue(f.addresses),
            ]
        }
        func people(_ list: [StaffChange]) -> JSONValue {
            .array(
                list.map {
                    [
                        "id": .string($0.id), "name": .string($0.name), "kind": .string($0.kind),
                        "from": JSONValue($0.from), "to": JSONValue($0.to),
                    ]
                })
        }
        var o: JSONObject = [
            "base": JSONValue(base),
            "grids": .array(
                grids.map {
                    [
                        "id": .string($0.id), "name": .string($0.name), "status": .string($0.status),
                        "before": figures($0.before), "after": figures($0.after), "figures": .string($0.figures),
                    ]
                }),
            "codes_created": .array(created.map { .string($0) }), "codes_retired": .array(retired.map { .string($0) }),
            "addresses_moved": JSONValue(movedAddresses.count), "residents_moved_estimated": JSONValue(residentsMoved),
            "moved_addresses": .array(
                movedAddresses.map {
                    ["id": .string($0.id), "address": .string($0.text), "from": .string($0.from), "to": .string($0.to)]
                }),
            "staff": people(staff), "resources": people(resources),
        ]
        for (k, v) in routes.json { o[k] = v }
        return .object(o)
    }

    /// The report as a planner reads it in a terminal.
    public var table: String {
        func n(_ x: Int?) -> String { x.map(String.init) ?? "–" }
        func pair(_ a: String, _ b: String) -> String { a == b ? a : "\(a) → \(b)" }
        var lines = ["Impact against version \(base)", ""]
        let header = ["grid", "status", "area m²", "households", "population", "addresses", "figures"]
        var rows = [header]
        for g in grids {
            rows.append([
                g.id + " " + g.name, g.status,
                pair(
                    g.before.map { String(Int($0.areaM2.rounded())) } ?? "–",
                    g.after.map { String(Int($0.areaM2.rounded())) } ?? "–"),
                pair(n(g.before?.households), n(g.after?.households)),
                pair(n(g.before?.population), n(g.after?.population)),
                pair(n(g.before?.addresses), n(g.after?.addresses)), g.figures,
            ])
        }
        let widths = header.indices.map { c in rows.map { $0[c].displayWidth }.max() ?? 0 }
        for r in rows {
            lines.append(
                r.enumerated().map { c, cell in cell + String(repeating: " ", count: widths[c] - cell.displayWidth) }
                    .joined(separator: "  "))
        }
        lines.append("")
        lines.append("codes created: \(created.isEmpty ? "none" : created.joined(separator: ", "))")
        lines.append("codes retired: \(retired.isEmpty ? "none" : retired.joined(separator: ", "))")
        lines.append("addresses moving: \(movedAddresses.count) (about \(residentsMoved) residents)")
        for a in movedAddresses.prefix(20) { lines.append("  \(a.id) \(a.text): \(a.from) → \(a.to)") }
        if movedAddresses.count > 20 { lines.append("  … and \(movedAddresses.count - 20) more (see --json)") }
        lines.append("staff reassigned: \(staff.count)")
        for s in staff { lines.append("  \(s.kind) \(s.id) \(s.name): \(s.from ?? "none") → \(s.to ?? "none")") }
        lines.append("other resources changing grid: \(resources.count)")
        for s in resources.prefix(20) {
            lines.append("  \(s.kind) \(s.id) \(s.name): \(s.from ?? "none") → \(s.to ?? "none")")
        }
        if !routes.units.isEmpty {
            lines.append("units changed: " + routes.units.map { "\($0.id) (\($0.status))" }.joined(separator: ", "))
            lines.append("grids whose route changes: \(routes.grids.count)")
            for g in routes.grids.prefix(20) {
                let before = g.before.isEmpty ? "属地" : g.before.joined(separator: "+")
                let after = g.after.isEmpty ? "属地" : g.after.joined(separator: "+")
                lines.append("  \(g.grid) \(g.name) [\(g.department)]: \(before) → \(after), "
                             + "\(Int(g.areaM2.rounded())) m² changing hands")
            }
            lines.append("addresses whose route changes: \(routes.addresses.count)")
            for a in routes.addresses.prefix(20) {
                lines.append("  \(a.id) \(a.text) [\(a.department)]: \(a.from ?? "属地") → \(a.to ?? "属地")")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Measures what `changed` grids of `draft` do to `base`; `addresses` gives the base's
    /// addresses inside a box (the store's spatial query: only those near the changes are read).
    /// Above this many changed grids' boxes, the addresses are read in the one box round them.
    static let boxesQueried = 64

    public static func measure(
        base: Dataset, baseVersion: Int, draft: Dataset, changed: [String],
        addresses: (BoundingBox) throws -> [Address]
    ) throws -> ImpactReport {
        let measurer = try ThreadResources.current.measurer()
        let geos = ThreadResources.current.geos
        let before = Dictionary(base.grids.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(draft.grids.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let oldIDs = changed.filter { before[$0] != nil }
        let newIDs = changed.filter { after[$0] != nil }
        // A draft that changes nothing (yet) has an empty report, not an index of no grids.
        let oldIndex = oldIDs.isEmpty ? nil : try GridIndex(polygons: oldIDs.map { before[$0]!.shape })
        let newIndex = newIDs.isEmpty ? nil : try GridIndex(polygons: newIDs.map { after[$0]!.shape })
        // The boxes of the changed grids as they were and as they are (a new grid may cover
        // ground no old one did: a gap filled), and the box round them all.
        let boxes = oldIDs.compactMap { before[$0]!.shape.bounds } + newIDs.compactMap { after[$0]!.shape.bounds }
        var box: BoundingBox?
        for b in boxes { box == nil ? (box = b) : box!.include(b) }
        func grid(_ p: Coordinate) -> (String?, String?) {
            guard box?.contains(p) ?? false else { return (nil, nil) }
            return (oldIndex?.locate(p).map { oldIDs[$0] }, newIndex?.locate(p).map { newIDs[$0] })
        }
        var countBefore: [String: Int] = [:]
        var countAfter: [String: Int] = [:]
        var moved: [MovedAddress] = []
        // Read grid by grid, not in one box round them all: a draft that changes grids at both
        // ends of the district would read most of its addresses. A draft that changes very many
        // (a layer replaced) is read in the one box, in one query.
        var seen = Set<String>(), nearby: [Address] = []
        for b in boxes.count > Self.boxesQueried ? (box.map { [$0] } ?? []) : boxes {
            for a in try addresses(b) where seen.insert(a.id).inserted { nearby.append(a) }
        }
        nearby.sort { $0.id < $1.id }
        for a in nearby {
            let (o, n) = grid(a.location)
            if let o { countBefore[o, default: 0] += 1 }
            if let n { countAfter[n, default: 0] += 1 }
            if let o, let n, o != n {
                moved.append(MovedAddress(id: a.id, text: a.text, location: a.location, from: o, to: n))
            }
        }
        var residents = 0.0
        for m in moved {
            let g = before[m.from]!
            residents += Double(g.population) / Double(max(1, countBefore[m.from] ?? 1))
        }
        func figures(_ g: Grid?, _ count: [String: Int]) throws -> Figures? {
            guard let g else { return nil }
            return Figures(
                areaM2: try measurer.area(g.shape), households: g.households, population: g.population,
                addresses: count[g.id] ?? 0)
        }
        let grids = try changed.map { id -> GridChange in
            let b = before[id]
            let a = after[id]
            var status = b == nil ? "created" : a == nil ? "retired" : "changed"
            // A neighbour that only gained vertices where a new boundary meets it. (An invalid
            // grid from a QGIS layer cannot be compared: it counts as changed.)
            if let a, let b, a.properties == b.properties,
                let moved = try? geos.geometry(a.shape).symmetricDifference(try geos.geometry(b.shape)),
                try measurer.area(moved) < 0.01
            {
                status = "vertices_added"
            }
            let estimated = a?.properties["estimated"]?.string.map { "estimated (\($0)) from addresses" }
            let source: String
            switch (b, a) {
            case (_, nil): source = "–"
            case (let b?, let a?) where b.households == a.households && b.population == a.population:
                source = "unchanged"
            case (nil, _?): source = estimated ?? "carried over or entered"
            default: source = estimated ?? "entered"
            }
            return GridChange(
                id: id, name: (a ?? b)!.name, status: status, before: try figures(b, countBefore),
                after: try figures(a, countAfter), figures: source)
        }
        let oldResources = Dictionary(base.resources.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var staff: [StaffChange] = []
        var others: [StaffChange] = []
        for r in draft.resources {
            let was = oldResources[r.id]
            if Resource.assignedKinds.contains(r.kind) {
                if was?.gridID != r.gridID {
                    staff.append(StaffChange(id: r.id, name: r.name, kind: r.kind, from: was?.gridID, to: r.gridID))
                }
            } else {
                let (o, n) = grid(r.location)
                if o != n, o != nil || n != nil {
                    others.append(StaffChange(id: r.id, name: r.name, kind: r.kind, from: o, to: n))
                }
            }
        }
        let routes = try RouteImpact.measure(base: base, draft: draft, addresses: addresses)
        return ImpactReport(
            base: baseVersion, grids: grids, movedAddresses: moved, residentsMoved: Int(residents.rounded()),
            staff: staff, resources: others, created: changed.filter { before[$0] == nil },
            retired: changed.filter { after[$0] == nil }, routes: routes,
            shapesBefore: Dictionary(uniqueKeysWithValues: oldIDs.map { ($0, before[$0]!.shape) }),
            shapesAfter: Dictionary(uniqueKeysWithValues: newIDs.map { ($0, after[$0]!.shape) }))
    }
}

extension String {
    /// Columns in a terminal: CJK characters take two.
    var displayWidth: Int {
        unicodeScalars.reduce(0) {
            $0 + ($1.value >= 0x1100 && ($1.value <= 0x115F || (0x2E80...0xFFEF).contains($1.value)) ? 2 : 1)
        }
    }
}
