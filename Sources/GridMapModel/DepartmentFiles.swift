import Foundation
import GridMapGeometry

/// The departments' files of a data directory (departments, units, categories, the calendar),
/// read into the dataset.
extension DataFiles {
    public static let departments = "departments.csv"
    public static let units = "units.geojson"
    public static let categories = "categories.csv"
    public static let calendar = "calendar.csv"
    package static let calendarColumns = ["date", "kind"]
    package static let departmentColumns = ["id", "name"]
    package static let categoryColumns = [
        "code", "name", "group", "department", "handler", "time_limit_hours", "keywords",
    ]
}

extension Dataset {
    package static func department(_ f: Feature, _ k: Int, _ source: String) throws -> Department {
        let r = FeatureReader(f, k, source)
        return Department(id: try r.id(), name: try r.text("name"), dutyPhone: r.optionalText("duty_phone"),
                          properties: f.properties)
    }

    package static func unit(_ f: Feature, _ k: Int, _ source: String) throws -> ResponsibilityUnit {
        let r = FeatureReader(f, k, source)
        return ResponsibilityUnit(id: try r.id(), name: try r.text("name"), departmentID: try r.text("department"),
                                  dutyPhone: r.optionalText("duty_phone") ?? "", shape: try r.polygonal(),
                                  properties: f.properties)
    }

    package static func category(_ f: Feature, _ k: Int, _ source: String) throws -> Category {
        let r = FeatureReader(f, k, source)
        let code = try r.id()
        let handlerText = r.optionalText("handler") ?? ""
        guard let handler = Handler(rawValue: handlerText) else {
            throw StoreError.data(source, "category \(code): handler '\(handlerText)' is not one of "
                                  + Handler.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let department = r.optionalText("department").flatMap { $0.isEmpty ? nil : $0 }
        if handler == .unit && department == nil {
            throw StoreError.data(source, "category \(code): handled by a unit, but names no department")
        }
        let keywords = (r.optionalText("keywords") ?? "").split(whereSeparator: { $0 == ";" || $0 == "；" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let basisText = r.optionalText("time_basis").flatMap { $0.isEmpty ? nil : $0 } ?? "natural"
        guard let basis = TimeBasis(rawValue: basisText) else {
            throw StoreError.data(source, "category \(code): time_basis '\(basisText)' is not one of "
                                  + "natural (every hour counts), working (only working days' hours, calendar.csv)")
        }
        return Category(code: code, name: try r.text("name"), group: r.optionalText("group") ?? "",
                        departmentID: department, handler: handler, timeLimitHours: try r.int("time_limit_hours"),
                        keywords: keywords, timeBasis: basis, properties: f.properties,
                        attributes: try ServiceAttribute.list(
                            f.properties["attributes"].map { $0.string ?? $0.serialized } ?? "", category: code,
                            source: source))
    }

    /// One line of calendar.csv: a date that is one, and what kind of day it is.
    package static func calendarDay(_ f: Feature, _ k: Int, _ source: String) throws -> CalendarDay {
        let r = FeatureReader(f, k, source)
        let date = try r.id()
        guard WorkCalendar.dayNumber(date) != nil else {
            throw StoreError.data(source, "\(date): not a date written YYYY-MM-DD (e.g. 2026-10-01)")
        }
        let kindText = r.optionalText("kind") ?? ""
        guard let kind = CalendarDay.Kind(rawValue: kindText) else {
            throw StoreError.data(source, "\(date): kind '\(kindText)' is not one of holiday (a weekday off), "
                                  + "workday (a weekend day worked)")
        }
        return CalendarDay(date: date, kind: kind, name: r.optionalText("name") ?? "", properties: f.properties)
    }

    /// A CSV file's rows as features without geometry, keyed by `idColumn` (how departments and
    /// categories are stored: feature by feature, versioned like any layer).
    package static func csvFeatures(_ bytes: [UInt8], path: String, columns: [String], idColumn: String) throws
        -> [Feature]
    {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StoreError.data(path, "not valid UTF-8")
        }
        let rows: [(line: Int, fields: [String])]
        do { rows = try CSV.parse(text) } catch let e as CSV.ParseError { throw StoreError.data(path, "\(e)") }
        guard let header = rows.first?.fields else { throw StoreError.data(path, "empty file: expected a header line") }
        let missing = columns.filter { !header.contains($0) }
        guard missing.isEmpty else {
            throw StoreError.data(path, "header lacks column(s) \(missing.joined(separator: ", "))")
        }
        return try rows.dropFirst().filter { !($0.fields.count == 1 && $0.fields[0].isEmpty) }.map { row in
            guard row.fields.count == header.count else {
                throw StoreError.data(path, "line \(row.line): \(row.fields.count) fields, expected \(header.count)")
            }
            var properties = JSONObject()
            for (name, value) in zip(header, row.fields) {
                if name == "time_limit_hours", let n = Int(value) { properties[name] = JSONValue(n) } else {
                    properties[name] = .string(value)
                }
            }
            let id = properties[idColumn]?.string ?? ""
            properties["id"] = .string(id)
            return Feature(id: id, properties: properties, geometry: nil)
        }
    }

    /// Features without geometry written back as CSV, `columns` first, then any others in the
    /// order the file had them (so a file read and written back keeps its columns' order).
    package static func csvText(_ items: [JSONObject], columns: [String]) -> String {
        var extra: [String] = []
        var seen = Set(columns + ["id"])
        for key in items.lazy.flatMap(\.keys) where seen.insert(key).inserted { extra.append(key) }
        let header = columns + extra
        var out = CSV.line(header) + "\n"
        for p in items {
            out += CSV.line(header.map { key in
                guard let v = p[key] else { return "" }
                return v.string ?? v.idText ?? v.serialized
            }) + "\n"
        }
        return out
    }
}
