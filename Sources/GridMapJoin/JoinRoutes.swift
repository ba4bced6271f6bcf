import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// The route columns of a join with `--category`: who must handle each row's report, by ROUTE's
/// rule (the unit of the category's department whose closed area covers the point, the lowest
/// id; else the 属地), for each version's catalogue and units. For each category, the columns'
/// bytes are serialized once for each of its department's units and for none, so a row costs
/// a category lookup, one read of the department's clear cells (or the exact test near an edge)
/// and one copy.
package struct JoinRoutes: Sendable {
    /// The appended columns, after the grid columns.
    package static let columns = ["route_handler", "route_unit_id", "route_unit_name", "route_department",
                          "route_department_name", "route_duty_phone"]

    /// Categories by code (up to 7 bytes: packed into an integer, no allocation per row) and
    /// by code or name (by a hash of the bytes, then the bytes compared: no string per row).
    private let short: [UInt64: Int]
    private let byHash: [UInt64: [(text: [UInt8], category: Int)]]
    /// Each category's department layer (an index into `layers`, -1 for a 属地 category or a
    /// department without units), and where its entries start in `csv` and `json`.
    private let layerOf: [Int32], first: [Int]
    private let layers: [DepartmentUnits.UnitLayer]
    /// Per category, back to back: the columns for each unit of its layer, then those for no
    /// unit covering.
    private let csv: PackedBytes, json: PackedBytes
    /// The columns of a row in no grid: empty.
    package let blankCSV: [UInt8], blankJSON: [UInt8]

    package init(_ departmentUnits: DepartmentUnits) {
        let parts = departmentUnits.parts
        var short: [UInt64: Int] = [:], byText: [String: Int] = [:]
        for (k, c) in parts.categories.enumerated() {
            let code = c.category.code
            if byText[code] == nil { byText[code] = k }
            if let key = Self.key(Array(code.utf8)), short[key] == nil { short[key] = k }
        }
        for (k, c) in parts.categories.enumerated() where byText[c.category.name] == nil {
            byText[c.category.name] = k  // a name that is also another's code keeps the code's meaning
        }
        self.short = short
        byHash = Dictionary(grouping: byText.map { (text: Array($0.key.utf8), category: $0.value) },
                            by: { Self.hash($0.text) })
        var layers: [DepartmentUnits.UnitLayer] = [], layerOf: [Int32] = []
        for c in parts.categories {
            guard let d = c.department else { layerOf.append(-1); continue }
            layerOf.append(Int32(layers.count))
            layers.append(parts.departments[d].layer)
        }
        (self.layers, self.layerOf) = (layers, layerOf)
        let rows = parts.categories.map { c -> [[String]] in
            let category = c.category
            let units = c.department.map { parts.departments[$0].layer.units } ?? []
            let departmentName = category.departmentID.flatMap { departmentUnits.departments[$0]?.name } ?? ""
            var rows = units.map { u in
                [category.handler.rawValue, u.id, u.name, u.departmentID, departmentName, u.dutyPhone]
            }
            // No unit covers the point: the 属地 (the grid worker first) takes a department's case.
            let handler = category.departmentID == nil ? category.handler.rawValue : Handler.gridWorker.rawValue
            rows.append([handler, "", "", category.departmentID ?? "", departmentName, ""])
            return rows
        }
        first = rows.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let all = rows.flatMap { $0 }
        csv = PackedBytes(count: all.count) { Self.csvColumns(all[$0]) }
        json = PackedBytes(count: all.count) { Self.jsonColumns(all[$0].map { $0 }) }
        blankCSV = Self.csvColumns(Self.columns.map { _ in "" })
        blankJSON = Self.jsonColumns(Self.columns.map { _ in nil })
    }

    private static func csvColumns(_ values: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for v in values {
            out.append(CSVScanner.comma)
            CSVScanner.appendField(v.utf8, to: &out)
        }
        return out
    }

    /// `,"route_handler":"…",…`; an empty value is null.
    private static func jsonColumns(_ values: [String?]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, v) in zip(columns, values) {
            out.append(CSVScanner.comma)
            JSONValue.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            if let v, !v.isEmpty { JSONValue.appendString(v, to: &out) } else { out.appendText("null") }
        }
        return out
    }

    /// Up to 7 bytes and their count in one integer.
    private static func key(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard bytes.count <= 7 else { return nil }
        var key = UInt64(bytes.count) << 56
        for (i, b) in bytes.enumerated() { key |= UInt64(b) << (8 * UInt64(i)) }
        return key
    }

    /// FNV-1a of `bytes`.
    @inline(__always)
    private static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// The category a row's field names, by code or by name.
    package func category(_ text: UnsafeRawBufferPointer) -> Int? {
        if let key = Self.key(text), let k = short[key] { return k }
        return byHash[Self.hash(text)]?.first { $0.text.elementsEqual(text) }?.category
    }

    /// Appends the route columns of a row of category `c` at `p` (CSV or JSON): by the rule
    /// (`RoutingRule`), the unit of the category's department responsible there, or none.
    @inline(__always)
    package func append(_ c: Int, at p: Coordinate, csv: Bool, to out: inout [UInt8]) {
        let l = Int(layerOf[c])
        let entry = l < 0 ? 0 : (layers[l].decidedUnit(at: p) ?? (first[c + 1] - first[c] - 1))
        if csv { self.csv.append(first[c] + entry, to: &out) } else { json.append(first[c] + entry, to: &out) }
    }
}
