import Foundation
import GridMapCases
import GridMapGeometry
import GridMapModel
import GridMapStore
import Synchronization

/// CASE STATS / `/api/stats` / `gridmap stats`: the measures of `CaseMeasures` for every grid,
/// community, street, unit, department, worker, category or source (or the district) over a
/// period, under one of two attributions — as stamped (where the map put each case when it was
/// reported) or on a version's map (each case's point located on that version's grids, units
/// and staff) — as of a moment (events after it not yet known), ranked within the level.
public struct CaseStatsRequest: Sendable {
    public enum By: String, CaseIterable, Sendable {
        case district, street, community, grid, unit, department, worker, category, source
    }
    public enum Attribution: Sendable, Equatable {
        case stamped
        /// On a version's map; nil: the current one.
        case version(Int?)
    }
    public static let defaultMinimum = 5
    /// The id rows of cases the 属地 took (no unit covered them) are counted under.
    public static let localID = "属地"

    public let by: By
    public let fromMs: Int64
    public let toMs: Int64
    public let attribution: Attribution
    public let asOfMs: Int64?
    public let minimum: Int
    public let format: String
    /// Only these objects' rows (ranked among all of the level): a card's figures.
    public let ids: Set<String>?

    /// From named parameters (RESP's pairs, HTTP's query, the CLI's options): by, from, to,
    /// attribution (stamped | current | a version number), asof, minimum, format (json | csv),
    /// id (objects' ids, comma-separated: only their rows).
    public init(_ parameters: [(String, String)]) throws {
        var by: By?, from: Int64?, to: Int64?, attribution = Attribution.version(nil), asOf: Int64?
        var minimum = Self.defaultMinimum, format = "json", ids: Set<String>?
        func time(_ name: String, _ text: String) throws -> Int64 {
            guard let ms = AsOf.parse(text).ms else {
                throw RequestError("\(name) '\(Parameter.shown(text))' is not a date or time (ISO 8601)",
                                   code: .badTime)
            }
            return ms
        }
        for (rawName, value) in parameters {
            switch rawName.lowercased() {
            case "by":
                guard let b = By(rawValue: value.lowercased()) else {
                    throw RequestError("by '\(Parameter.shown(value))' is not one of "
                                       + By.allCases.map(\.rawValue).joined(separator: ", "), code: .badBy)
                }
                by = b
            case "from": from = try time("from", value)
            case "to": to = try time("to", value)
            case "asof": asOf = try time("asof", value)
            case "attribution":
                switch value.lowercased() {
                case "stamped": attribution = .stamped
                case "current": attribution = .version(nil)
                default:
                    guard let v = AsOf.parse(value).version else {
                        throw RequestError("attribution is stamped, current or a version number, not '"
                                           + Parameter.shown(value) + "'", code: .badAttribution)
                    }
                    attribution = .version(v)
                }
            case "minimum": minimum = try Parameter.integer(value, "minimum")
            case "id":
                let list = value.split(separator: ",").map { String($0) }
                guard !list.isEmpty, list.count <= 1000 else {
                    throw RequestError("id is 1 to 1000 ids, comma-separated", code: .badId)
                }
                ids = Set(list)
            case "format":
                guard ["json", "csv"].contains(value.lowercased()) else {
                    throw RequestError("format is json or csv", code: .badFormat)
                }
                format = value.lowercased()
            default:
                throw RequestError("unknown parameter '\(Parameter.shown(rawName))'; parameters: by, from, to, "
                                   + "attribution, asof, minimum, format, id", code: .unknownParameter)
            }
        }
        guard let by else { throw RequestError("missing by: " + By.allCases.map(\.rawValue).joined(separator: "|"),
                                               code: .missingParameter) }
        guard let from, let to else {
            throw RequestError("missing from and to: the period, as dates or times", code: .missingParameter)
        }
        guard from < to else { throw RequestError("from must be before to", code: .badTime) }
        guard minimum >= 0 else { throw RequestError("minimum is 0 or more", code: .badMinimum) }
        (self.by, fromMs, toMs, self.attribution, asOfMs, self.minimum, self.format, self.ids) =
            (by, from, to, attribution, asOf, minimum, format, ids)
    }

    /// The map each case is placed on: the current version's, or one built from the store.
    func snapshot(_ map: MapView) throws -> Snapshot {
        guard case .version(let v?) = attribution, String(v) != map.current.version else { return map.current }
        return try map.service.snapshot(version: v)
    }

    /// The ids a case counts under: one, several (the workers of its grid), or none (its point
    /// is on no grid of the version).
    func keys(_ c: CaseHistory, on s: Snapshot) -> [String] {
        if attribution == .stamped {
            switch by {
            case .district: return [s.dataset.districtID]
            case .street: return [c.street]
            case .community: return [c.community]
            case .grid: return [c.grid]
            case .unit: return [c.unit ?? Self.localID]
            case .department: return c.department.map { [$0] } ?? []
            case .worker: return c.workers
            case .category: return [c.category]
            case .source: return [c.source]
            }
        }
        let p = Coordinate(c.lon, c.lat)
        switch by {
        case .district: return s.locate(p) == nil ? [] : [s.dataset.districtID]
        case .category: return [c.category]
        case .source: return [c.source]
        case .department: return s.departmentUnits?.categories[c.category]?.departmentID.map { [$0] } ?? []
        case .unit:
            guard s.locate(p) != nil else { return [] }
            guard let dept = s.departmentUnits?.categories[c.category]?.departmentID,
                  let layer = s.departmentUnits?.layers[dept], let u = layer.decide(at: p, exact: true).unit
            else { return [Self.localID] }
            return [layer.units[u].id]
        case .street, .community, .grid, .worker:
            guard let g = s.locate(p) else { return [] }
            let grid = s.dataset.grids[g]
            switch by {
            case .street: return [grid.streetID]
            case .community: return [grid.communityID]
            case .worker: return s.workers(of: g).filter { $0.kind == "grid_worker" }.map(\.id)
            default: return [grid.id]
            }
        }
    }

    /// An object's name on `s`, by its id (the snapshot's indexes: a level can have 67,400 rows);
    /// `workers` names the grid workers when the rows are theirs.
    func name(_ id: String, on s: Snapshot, workers: [String: String]) -> String {
        let d = s.dataset
        switch by {
        case .district: return d.districtName
        case .street: return s.streetByID[id].map { d.streets[$0].name } ?? id
        case .community: return s.communityByID[id].map { d.communities[$0].name } ?? id
        case .grid: return s.gridByID[id].map { d.grids[$0].name } ?? id
        case .unit: return id == Self.localID ? "属地（无单位覆盖）" : d.units.first { $0.id == id }?.name ?? id
        case .department: return s.departmentUnits?.departments[id]?.name ?? id
        case .worker: return workers[id] ?? id
        case .category: return s.departmentUnits?.categories[id]?.name ?? id
        case .source: return id
        }
    }

    /// The rows: every object with something in the period, by id, and the cases on no grid
    /// of the version (counted apart, so the totals still add up).
    public func rows(_ map: MapView, nowMs: Int64 = Clock.nowMs) throws -> CaseLevel {
        let s = try snapshot(map)
        let asOf = min(asOfMs ?? nowMs, nowMs)
        let desk = map.service.cases
        // A period that is over, asked as of everything the log holds, has one answer until the
        // log moves on: kept (`CaseLevels`), so that a card's past months are computed once.
        let position = try desk.reading { try desk.histories.refresh($0) }
        let key = toMs <= asOf && asOf >= position.latestMs
            ? "\(self.by.rawValue) \(fromMs) \(toMs) \(attribution == .stamped ? "s" : s.version) \(minimum) "
                + "\(position.cursor)"
            : nil
        let level = try key.flatMap { desk.levels.get($0) } ?? level(s, desk, asOf: asOf)
        if let key { desk.levels.put(key, level) }
        return ids.map { ids in CaseLevel(rows: level.rows.filter { ids.contains($0.id) }, unplaced: level.unplaced,
                                          version: level.version) } ?? level
    }

    private func level(_ s: Snapshot, _ desk: CaseDesk, asOf: Int64) throws -> CaseLevel {
        let cases = try desk.reading {
            try desk.histories.histories($0, reportedBefore: toMs, asOfMs: asOf, fromMs: fromMs)
        }
        var by: [String: CaseMeasures] = [:], unplaced = CaseMeasures()
        if attribution != .stamped && self.by == .grid {
            // By grid on a version's map (the page's default level, 67,400 grids at 100×): each
            // case's grid is found once and its measures kept by the grid's index; the ids only
            // for the grids that have some (what `keys` answers, without a list and a hash a case).
            var perGrid = [CaseMeasures?](repeating: nil, count: s.dataset.grids.count)
            for c in cases where c.mayCount(fromMs: fromMs) {
                guard let g = s.locate(Coordinate(c.lon, c.lat)) else {
                    unplaced.add(c, fromMs: fromMs, toMs: toMs, asOfMs: asOf)
                    continue
                }
                if perGrid[g] == nil { perGrid[g] = CaseMeasures() }
                perGrid[g]!.add(c, fromMs: fromMs, toMs: toMs, asOfMs: asOf)
            }
            for (g, m) in perGrid.enumerated() { if let m { by[s.dataset.grids[g].id] = m } }
        } else {
            for c in cases where c.mayCount(fromMs: fromMs) {
                let keys = keys(c, on: s)
                if keys.isEmpty { unplaced.add(c, fromMs: fromMs, toMs: toMs, asOfMs: asOf) }
                for k in keys { by[k, default: CaseMeasures()].add(c, fromMs: fromMs, toMs: toMs, asOfMs: asOf) }
            }
        }
        let kept = by.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
        let ranks = CaseRanking.ranks(kept.map(\.value), minimum: minimum)
        let version = attribution == .stamped ? nil : Int(s.version)
        let workers = self.by != .worker ? [:] : Dictionary(
            s.dataset.resources.lazy.filter { $0.kind == "grid_worker" }.map { ($0.id, $0.name) },
            uniquingKeysWith: { a, _ in a })
        let all = zip(kept, ranks).map {
            (id: $0.0.key, name: name($0.0.key, on: s, workers: workers), measures: $0.0.value, rank: $0.1)
        }
        return CaseLevel(rows: all, unplaced: unplaced, version: version)
    }

    public func answer(_ map: MapView, nowMs: Int64 = Clock.nowMs) throws -> [UInt8] {
        let level = try rows(map, nowMs: nowMs)
        let (rows, unplaced, version) = (level.rows, level.unplaced, level.version)
        if format == "csv" { return Array(CaseStatsText.csv(rows, minimum: minimum).utf8) }
        let attributionText: String
        switch attribution {
        case .stamped: attributionText = "stamped"
        case .version(nil): attributionText = "current"
        case .version(let v?): attributionText = String(v)
        }
        let out: JSONValue = .object([
            "by": .string(by.rawValue), "from": .string(CaseCoding.chinaTime(fromMs)),
            "to": .string(CaseCoding.chinaTime(toMs)), "attribution": .string(attributionText),
            "version": version.map { JSONValue($0) } ?? .null,
            "asof": .string(CaseCoding.chinaTime(min(asOfMs ?? nowMs, nowMs))), "minimum": JSONValue(minimum),
            "rows": .array(rows.map { CaseStatsText.json(id: $0.id, name: $0.name, $0.measures, rank: $0.rank,
                                                         minimum: minimum) }),
            "unplaced": CaseStatsText.json(id: "", name: "未归属（不在该版本网格内，或无部门、无网格员）", unplaced,
                                           rank: nil, minimum: minimum),
        ])
        return out.bytes
    }
}

/// The measures as clients read them: JSON rows, and CSV with Chinese headers and the formula row.
public enum CaseStatsText {
    static func rate(_ r: CaseRate) -> JSONValue {
        .object(["value": r.value.map { JSONValue(($0 * 10_000).rounded() / 10_000) } ?? .null,
                 "numerator": JSONValue(r.numerator), "denominator": JSONValue(r.denominator)])
    }

    static func json(id: String, name: String, _ m: CaseMeasures, rank: Int?, minimum: Int) -> JSONValue {
        let t = m.timeToClose
        func hours(_ h: Double?) -> JSONValue { h.map { JSONValue(($0 * 100).rounded() / 100) } ?? .null }
        return .object([
            "id": .string(id), "name": .string(name), "reported": JSONValue(m.reported),
            "accepted": JSONValue(m.accepted), "refused": JSONValue(m.refused), "dispatched": JSONValue(m.dispatched),
            "closed": JSONValue(m.closed), "closed_on_time": JSONValue(m.closedOnTime), "due": JSONValue(m.due),
            "deferred": JSONValue(m.deferred), "overdue": JSONValue(m.overdue), "reworked": JSONValue(m.reworked),
            "handled": JSONValue(m.handled), "extended": JSONValue(m.extended), "voided": JSONValue(m.voided),
            "closure_rate": rate(m.closureRate), "on_time_rate": rate(m.onTimeRate),
            "rework_rate": rate(m.reworkRate), "extension_rate": rate(m.extensionRate),
            "time_to_close_hours": .object(["mean": hours(t?.mean), "median": hours(t?.median), "p90": hours(t?.p90)]),
            "rank": rank.map { JSONValue($0) } ?? .null, "small_sample": .bool(m.base < minimum),
        ])
    }

    static let headers = ["编号", "名称", "上报数", "立案数", "不予立案数", "派遣数", "结案数", "按期结案数",
                          "应结案数", "缓办数", "超期数", "返工数", "处置数", "延期数", "作废数", "结案率",
                          "按期结案率", "返工率", "延期率", "平均处置时长(时)", "处置时长中位数(时)",
                          "处置时长90分位(时)", "排名", "样本过小"]
    static let formulas = ["公式", "", "", "", "", "", "", "结案时间≤应结时间", "应结时间在期内", "应结时点处于缓办",
                           "逾期结案+期末逾期未结", "核查不通过≥1次", "期内有处置", "期内有延期", "", "结案数÷(应结案数−缓办数)",
                           "按期结案数÷(应结案数−缓办数)", "返工数÷处置数", "延期数÷(应结案数−缓办数)", "立案→结案", "",
                           "", "按期结案率、结案率降序，并列同名次", "应结案数−缓办数<最小样本"]

    static func csv(_ rows: [(id: String, name: String, measures: CaseMeasures, rank: Int?)], minimum: Int) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        func pct(_ r: CaseRate) -> String { r.value.map { String(format: "%.2f%%", $0 * 100) } ?? "" }
        func h(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "" }
        var lines = [headers.map(field).joined(separator: ","), formulas.map(field).joined(separator: ",")]
        for r in rows {
            let m = r.measures, t = m.timeToClose
            let cells = [r.id, r.name] + [m.reported, m.accepted, m.refused, m.dispatched, m.closed, m.closedOnTime,
                                          m.due, m.deferred, m.overdue, m.reworked, m.handled, m.extended,
                                          m.voided].map(String.init)
                + [pct(m.closureRate), pct(m.onTimeRate), pct(m.reworkRate), pct(m.extensionRate), h(t?.mean),
                   h(t?.median), h(t?.p90), r.rank.map(String.init) ?? "", m.base < minimum ? "是" : ""]
            lines.append(cells.map(field).joined(separator: ","))
        }
        // A byte-order mark first: spreadsheet programs then read the file as UTF-8.
        return "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
    }
}

/// A level's rows (every object with something in the period, by id, ranked), the cases on no
/// grid of the version, and the version they were placed on (nil: as stamped).
public struct CaseLevel: Sendable {
    public let rows: [(id: String, name: String, measures: CaseMeasures, rank: Int?)]
    public let unplaced: CaseMeasures
    public let version: Int?
}

/// Levels already computed, by request and log position (`CaseStatsRequest.rows` keeps only
/// answers that cannot change while the log stays where it is). A few dozen at most: a card
/// asks for twelve months.
public final class CaseLevels: Sendable {
    private let kept = Mutex<[String: CaseLevel]>([:])
    public static let capacity = 48

    public init() {}

    func get(_ key: String) -> CaseLevel? { kept.withLock { $0[key] } }

    func put(_ key: String, _ level: CaseLevel) {
        kept.withLock {
            if $0[key] == nil && $0.count >= Self.capacity { $0.removeAll() }
            $0[key] = level
        }
    }

    /// How many it holds (tests).
    public var count: Int { kept.withLock { $0.count } }
}
