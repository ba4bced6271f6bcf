import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// The thresholds of validation, one definition for every skin.
public struct ValidationRules: Sendable {
    /// A grid, or a part of one, smaller than this (m²) is a sliver: an error.
    public var sliverArea = 50.0
    /// Households per grid outside this range draw a warning (urban grids hold 100–500).
    public var households = 30...800
    /// Overlaps, gaps and areas outside the district are measured in m²; below this they are
    /// rounding noise of double-precision overlay, not area.
    public var areaTolerance = 0.01
    public init() {}

    /// The rules with a planner's settings: a sliver area in m², households as `MIN-MAX`.
    public init(sliverArea: String?, households: String?) throws {
        if let text = sliverArea {
            guard let v = Double(text), v >= 0, v.isFinite else {
                throw PlanError(.badValue, "the sliver area must be a number of m² ≥ 0, not '\(text.prefix(20))'")
            }
            self.sliverArea = v
        }
        if let text = households {
            let parts = text.split(separator: "-").map { Int($0) }
            guard parts.count == 2, let low = parts[0], let high = parts[1], low >= 0, low <= high else {
                throw PlanError(.badValue, "households must be MIN-MAX (e.g. 30-800), not '\(text.prefix(20))'")
            }
            self.households = low...high
        }
    }
}

/// One thing validation found: its rule, severity, the grids, where, and how much.
public struct Finding: Sendable, Equatable {
    public enum Severity: String, Sendable { case error, warning }
    public let rule: String
    public let severity: Severity
    public let grids: [String]
    public let location: Coordinate?
    /// Area in m² (of an overlap, gap, sliver, crossing), when the rule measures one.
    public let areaM2: Double?
    public let message: String

    public var json: JSONValue {
        [
            "rule": .string(rule), "severity": .string(severity.rawValue), "grids": .array(grids.map { .string($0) }),
            "location": location.map { [JSONValue($0.x), JSONValue($0.y)] } ?? .null,
            "area_m2": areaM2.map { JSONValue(($0 * 100).rounded() / 100) } ?? .null, "message": .string(message),
        ]
    }
}

/// Validation's verdict on a map: its findings, errors first.
public struct ValidationReport: Sendable {
    public let findings: [Finding]
    public let grids: Int
    public let milliseconds: Double
    public var errors: [Finding] { findings.filter { $0.severity == .error } }
    public var isPublishable: Bool { errors.isEmpty }

    public var json: JSONValue {
        [
            "ok": .bool(isPublishable), "grids": JSONValue(grids), "errors": JSONValue(errors.count),
            "warnings": JSONValue(findings.count - errors.count),
            "milliseconds": JSONValue((milliseconds * 10).rounded() / 10),
            "findings": .array(findings.map(\.json)),
        ]
    }
}

/// A whole grid moved to another community by a draft (its area as it was): the community
/// and street boundaries that the draft's other grids must respect move with it.
public struct CommunityMove: Sendable {
    public let shape: Shape
    public let from: String
    public let to: String
    public init(shape: Shape, from: String, to: String) {
        self.shape = shape
        self.from = from
        self.to = to
    }
}

/// Checks a map against the rules of a grid coverage (docs/PLANNING.md, "Validation").
public enum Validator {
    /// Validates `map`. With `base` (the version a draft starts from), grids changed against
    /// it are also checked against the base's community and street boundaries, as moved by
    /// `moves`.
    public static func validate(
        _ map: Dataset, rules: ValidationRules = ValidationRules(), base: Dataset? = nil,
        moves: [CommunityMove] = []
    ) throws -> ValidationReport {
        let start = ContinuousClock.now
        var findings: [Finding] = []
        findings += try gridChecks(map, rules)
        // Grids GEOS found invalid are left out of the overlays below (they would fail).
        let invalid = Set(findings.filter { $0.rule == "invalid_polygon" }.flatMap(\.grids))
        findings += try coverageChecks(map, rules, invalid: invalid)
        findings += hierarchyChecks(map, rules)
        findings += try networkChecks(map, rules)
        if let base { findings += try crossingChecks(map, base: base, moves: moves, rules, invalid: invalid) }
        let order: [Finding.Severity: Int] = [.error: 0, .warning: 1]
        findings.sort {
            (order[$0.severity]!, $0.rule, $0.grids.first ?? "") < (order[$1.severity]!, $1.rule, $1.grids.first ?? "")
        }
        let elapsed = ContinuousClock.now - start
        return ValidationReport(
            findings: findings, grids: map.grids.count,
            milliseconds: Double(elapsed.components.attoseconds) / 1e15
                + Double(elapsed.components.seconds) * 1000)
    }

    /// Each grid alone: validity, parts, holes, slivers.
    static func gridChecks(_ map: Dataset, _ rules: ValidationRules) throws -> [Finding] {
        try map.grids.concurrentMap { _, g -> [Finding] in
            let resources = ThreadResources.current
            let geos = resources.geos
            let measurer = try resources.measurer()
            var out: [Finding] = []
            let geometry = try geos.geometry(g.shape)
            let validity = try geometry.validity()
            if !validity.isValid {
                out.append(
                    Finding(
                        rule: "invalid_polygon", severity: .error, grids: [g.id], location: validity.location,
                        areaM2: nil, message: "grid \(g.id) is not a valid polygon: \(validity.description)"))
            }
            let parts = g.shape.polygons
            let at = try? geometry.pointOnSurface().coordinate()
            if parts.count > 1 {
                out.append(
                    Finding(
                        rule: "multipart", severity: .warning, grids: [g.id], location: at, areaM2: nil,
                        message: "grid \(g.id) has \(parts.count) separate parts"))
            }
            let holes = parts.reduce(0) { $0 + $1.count - 1 }
            if holes > 0 {
                out.append(
                    Finding(
                        rule: "holes", severity: .warning, grids: [g.id], location: at, areaM2: nil,
                        message: "grid \(g.id) has \(holes) hole(s)"))
            }
            for part in parts {
                let m2 = try measurer.area(.polygon(part))
                if m2 < rules.sliverArea {
                    out.append(
                        Finding(
                            rule: "sliver", severity: .error, grids: [g.id], location: part.first?.first,
                            areaM2: m2,
                            message: "grid \(g.id) has a part of \(fixed(m2)) m², under the "
                                + "\(fixed(rules.sliverArea)) m² that a grid needs"))
                }
            }
            return out
        }.flatMap { $0 }
    }

    /// The grids together: gaps and areas outside the district, overlaps, and boundaries
    /// whose vertices differ on the two sides.
    static func coverageChecks(_ map: Dataset, _ rules: ValidationRules, invalid: Set<String>) throws -> [Finding] {
        let resources = ThreadResources.current
        let geos = resources.geos
        let measurer = try resources.measurer()
        var out: [Finding] = []
        let valid = map.grids.map { !invalid.contains($0.id) }
        let polygons = zip(map.grids, valid).filter(\.1).flatMap(\.0.shape.polygons)
        let union = try geos.geometry(.multiPolygon(polygons)).coverageUnion()
        let outline = try geos.geometry(map.outline)
        let edges = EdgeMatch(map.grids, outline: map.outline)
        var explained = Set<String>()
        func touching(_ region: Geometry) throws -> [String] {
            guard let b = try region.bounds() else { return [] }
            let box = BoundingBox(minX: b.minX - 1e-7, minY: b.minY - 1e-7, maxX: b.maxX + 1e-7, maxY: b.maxY + 1e-7)
            return map.grids.filter { g in
                guard let gb = g.shape.bounds, gb.intersects(box) else { return false }
                // A sliver region can make GEOS's predicate fail: then the box decides.
                return (try? geos.geometry(g.shape).intersects(region)) ?? true
            }.map(\.id)
        }
        for (rule, region, what) in [
            ("gap", try outline.difference(union), "a gap between grids"),
            ("outside_district", try union.difference(outline), "grid area outside the district"),
        ] {
            for part in try region.parts() where part.typeID == 3 {
                let m2 = try measurer.area(part)
                guard m2 > rules.areaTolerance else { continue }
                let ids = try touching(part)
                explained.formUnion(ids)
                out.append(
                    Finding(
                        rule: rule, severity: .error, grids: ids, location: try part.pointOnSurface().coordinate(),
                        areaM2: m2, message: "\(what): \(fixed(m2)) m², by grid \(ids.joined(separator: ", "))"))
            }
        }
        // Overlaps end at edges that are not matched, so only grids with such edges are compared.
        let suspects = edges.unmatched
        var compared = Set<[Int]>()
        for k in suspects.keys.sorted() {
            let g = map.grids[k]
            guard valid[k], let box = g.shape.bounds else { continue }
            let a = try geos.geometry(g.shape)
            for (j, h) in map.grids.enumerated() where j != k && valid[j] {
                guard let hb = h.shape.bounds, hb.intersects(box), compared.insert([min(j, k), max(j, k)]).inserted
                else { continue }
                let overlap = try a.intersection(try geos.geometry(h.shape))
                guard overlap.typeID == 3 || overlap.typeID == 6 || overlap.typeID == 7 else { continue }
                let m2 = try measurer.area(overlap)
                guard m2 > rules.areaTolerance else { continue }
                explained.formUnion([g.id, h.id])
                out.append(
                    Finding(
                        rule: "overlap", severity: .error, grids: [g.id, h.id].sorted(),
                        location: try overlap.pointOnSurface().coordinate(), areaM2: m2,
                        message: "grids \(g.id) and \(h.id) overlap by \(fixed(m2)) m²"))
            }
        }
        for k in suspects.keys.sorted() where !explained.contains(map.grids[k].id) {
            let g = map.grids[k]
            out.append(
                Finding(
                    rule: "unmatched_vertices", severity: .warning, grids: [g.id], location: suspects[k],
                    areaM2: nil,
                    message: "grid \(g.id) shares a boundary whose vertices differ on the two "
                        + "sides (no area between them): snap the vertices"))
        }
        return out
    }

    /// Codes, references, staff and households.
    static func hierarchyChecks(_ map: Dataset, _ rules: ValidationRules) -> [Finding] {
        var out: [Finding] = []
        let communities = Dictionary(map.communities.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var seen: [String: Int] = [:]
        for g in map.grids { seen[g.id, default: 0] += 1 }
        var staffed = Set<String>()
        for r in map.resources where r.kind == "grid_worker" { if let g = r.gridID { staffed.insert(g) } }
        let codeDigits = 12 + GridCodes.sequenceDigits
        for g in map.grids {
            let at = g.shape.polygons.first?.first?.first
            func add(_ rule: String, _ severity: Finding.Severity, _ message: String) {
                out.append(
                    Finding(
                        rule: rule, severity: severity, grids: [g.id], location: at, areaM2: nil,
                        message: message))
            }
            if g.id.count != codeDigits || !g.id.allSatisfy({ $0.isASCII && $0.isNumber }) {
                add("code_malformed", .error, "grid code \(g.id) is not \(codeDigits) digits")
            } else if !g.id.hasPrefix(g.communityID) {
                add(
                    "code_not_in_community", .error,
                    "grid code \(g.id) does not begin with its community's code "
                        + g.communityID)
            }
            if seen[g.id, default: 0] > 1 {
                add("code_duplicated", .error, "grid code \(g.id) is used \(seen[g.id]!) times")
            }
            if let c = communities[g.communityID], c.streetID != g.streetID {
                add(
                    "street_mismatch", .error,
                    "grid \(g.id) names street \(g.streetID), but its community "
                        + "\(c.id) is in street \(c.streetID)")
            }
            if !staffed.contains(g.id) { add("no_grid_worker", .error, "grid \(g.id) has no grid worker") }
            if !rules.households.contains(g.households) {
                add(
                    "households_range", .warning,
                    "grid \(g.id) has \(g.households) households, outside "
                        + "\(rules.households.lowerBound)–\(rules.households.upperBound)")
            }
        }
        for r in map.resources where r.gridID != nil && seen[r.gridID!] == nil {
            out.append(
                Finding(
                    rule: "staff_unknown_grid", severity: .error, grids: [r.gridID!], location: r.location,
                    areaM2: nil,
                    message: "\(r.kind) \(r.id) is assigned to grid \(r.gridID!), which does "
                        + "not exist"))
        }
        return out
    }

    /// Grids changed against `base` that reach into another community or street.
    static func crossingChecks(
        _ map: Dataset, base: Dataset, moves: [CommunityMove],
        _ rules: ValidationRules, invalid: Set<String>
    ) throws -> [Finding] {
        let resources = ThreadResources.current
        let geos = resources.geos
        let measurer = try resources.measurer()
        let before = Dictionary(base.grids.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let streetOf = Dictionary(map.communities.map { ($0.id, $0.streetID) }, uniquingKeysWith: { a, _ in a })
        var expected: [String: Geometry] = [:]
        var expectedStreet: [String: Geometry] = [:]
        func area(of community: String?, street: String?) throws -> Geometry {
            let parts = base.grids.filter { community == nil ? $0.streetID == street : $0.communityID == community }
                .flatMap(\.shape.polygons)
            var g = try geos.geometry(.multiPolygon(parts)).coverageUnion()
            for m in moves {
                let into = community.map { m.to == $0 } ?? (streetOf[m.to] == street)
                let outOf = community.map { m.from == $0 } ?? (streetOf[m.from] == street)
                if into && !outOf { g = try g.union(try geos.geometry(m.shape)) }
                if outOf && !into { g = try g.difference(try geos.geometry(m.shape)) }
            }
            return g
        }
        var out: [Finding] = []
        // Invalid grids are reported as such; an overlay with them would fail.
        let changed = map.grids.filter { g in
            !invalid.contains(g.id) && (before[g.id].map { PlanMap.row($0) != PlanMap.row(g) } ?? true)
        }
        for g in changed {
            let shape = try geos.geometry(g.shape)
            for (kind, id) in [("community", g.communityID), ("street", g.streetID)] {
                let limit: Geometry
                if kind == "community" {
                    if expected[id] == nil { expected[id] = try area(of: id, street: nil) }
                    limit = expected[id]!
                } else {
                    if expectedStreet[id] == nil { expectedStreet[id] = try area(of: nil, street: id) }
                    limit = expectedStreet[id]!
                }
                let beyond = try shape.difference(limit)
                let m2 = try measurer.area(beyond)
                guard m2 > rules.areaTolerance else { continue }
                out.append(
                    Finding(
                        rule: "crosses_\(kind)", severity: .error, grids: [g.id],
                        location: try beyond.pointOnSurface().coordinate(), areaM2: m2,
                        message: "grid \(g.id) reaches \(fixed(m2)) m² beyond the boundary of its \(kind) "
                            + "\(id): move whole grids between communities instead"))
            }
        }
        return out
    }

    static func fixed(_ x: Double) -> String { String(format: "%.1f", x) }
}

/// Every grid's edges, matched with their neighbours': in an exact coverage each edge not on
/// the district's outline is used by exactly two grids, in opposite directions (rings
/// oriented alike).
struct EdgeMatch {
    private struct Key: Hashable {
        let ax, ay, bx, by: Double
    }
    private var uses: [Key: (grid: Int32, forward: Bool, count: Int32)] = [:]

    /// The grids' edges and the outline's, the outline taken as the grid outside the
    /// district (its rings reversed), so that an edge on it is matched too.
    init(_ grids: [Grid], outline: Shape) {
        let outside = outline.orientedForGeoJSON.polygons.map { $0.map { Array($0.reversed()) } }
        for (k, polygons) in Array(grids.map({ $0.shape.orientedForGeoJSON.polygons }).enumerated()) + [
            (grids.count, outside)
        ] {
            for polygon in polygons {
                for ring in polygon {
                    for i in 0..<max(0, ring.count - 1) {
                        let a = ring[i]
                        let b = ring[i + 1]
                        guard a != b else { continue }
                        let forward = (a.x, a.y) < (b.x, b.y)
                        let key =
                            forward ? Key(ax: a.x, ay: a.y, bx: b.x, by: b.y) : Key(ax: b.x, ay: b.y, bx: a.x, by: a.y)
                        if let u = uses[key] {
                            // Matched only by another grid running the other way.
                            let matched = u.count == 1 && u.grid != Int32(k) && u.forward != forward
                            uses[key] = (u.grid, u.forward, matched ? 2 : u.count + 2)
                        } else {
                            uses[key] = (Int32(k), forward, 1)
                        }
                    }
                }
            }
        }
        outsideIndex = Int32(grids.count)
    }

    private let outsideIndex: Int32

    /// Grids (by index) with an edge that is not used exactly twice in opposite directions
    /// (by two grids, or a grid and the outline), with a point of one such edge.
    var unmatched: [Int: Coordinate] {
        var out: [Int: Coordinate] = [:]
        for (key, u) in uses where u.count != 2 && u.grid != outsideIndex {
            out[Int(u.grid)] = Coordinate((key.ax + key.bx) / 2, (key.ay + key.by) / 2)
        }
        return out
    }
}
