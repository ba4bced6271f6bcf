import Foundation
import GridMapGeometry

/// One question a report of a category answers besides its description: Open311 GeoReport
/// v2's service definition attribute (`attribute[code]` in a POST). A category's attributes
/// are the JSON array of its `attributes` column in categories.csv, in the specification's
/// own shape, so a planner's file and the served definition say the same thing.
public struct ServiceAttribute: Equatable, Sendable {
    public enum Datatype: String, CaseIterable, Sendable {
        case string, number, datetime, text, singlevaluelist, multivaluelist
        public var isList: Bool { self == .singlevaluelist || self == .multivaluelist }
    }
    public struct Value: Equatable, Sendable {
        public var key: String
        public var name: String
    }
    public var code: String
    public var datatype: Datatype
    public var required: Bool
    /// The question, as the client shows it.
    public var description: String
    /// How to answer it (a format, a unit), or empty.
    public var datatypeDescription: String
    public var order: Int
    /// The allowed answers of a list.
    public var values: [Value]

    public static let maxPerCategory = 20

    /// A category's `attributes` column read: empty for none; a definition that cannot be
    /// served (not the specification's shape, a list without values, a code twice) names the
    /// category and the attribute.
    public static func list(_ text: String, category: String, source: String) throws -> [ServiceAttribute] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed != "null" else { return [] }
        func bad(_ what: String) -> StoreError { StoreError.data(source, "category \(category): attributes: \(what)") }
        guard let items = (try? JSONParser.parse(Array(trimmed.utf8)))?.array else {
            throw bad("not a JSON array of Open311 attributes ([{\"code\": …, \"datatype\": …, \"description\": …}])")
        }
        guard items.count <= maxPerCategory else { throw bad("more than \(maxPerCategory)") }
        var out: [ServiceAttribute] = []
        for (k, item) in items.enumerated() {
            guard let o = item.object else { throw bad("item \(k + 1) is not an object") }
            let code = o["code"]?.string ?? ""
            guard (1...40).contains(code.count),
                  code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw bad("item \(k + 1): code is 1 to 40 letters, digits, _ or -")
            }
            guard !out.contains(where: { $0.code == code }) else { throw bad("code \(code) is there twice") }
            let typeText = o["datatype"]?.string ?? ""
            guard let datatype = Datatype(rawValue: typeText) else {
                throw bad("\(code): datatype '\(typeText)' is not one of "
                          + Datatype.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let description = o["description"]?.string, !description.isEmpty else {
                throw bad("\(code): a description (the question) is needed")
            }
            let required: Bool
            switch o["required"] {
            case nil: required = false
            case .bool(let b)?: required = b
            default: throw bad("\(code): required is true or false")
            }
            var values: [Value] = []
            for v in o["values"]?.array ?? [] {
                guard let key = v["key"]?.idText, !key.isEmpty, let name = v["name"]?.string, !name.isEmpty else {
                    throw bad("\(code): each value has a key and a name")
                }
                guard !values.contains(where: { $0.key == key }) else { throw bad("\(code): value \(key) twice") }
                values.append(Value(key: key, name: name))
            }
            guard datatype.isList == !values.isEmpty else {
                throw bad(datatype.isList ? "\(code): a \(typeText) lists its values"
                          : "\(code): only a singlevaluelist or multivaluelist has values")
            }
            out.append(ServiceAttribute(code: code, datatype: datatype, required: required, description: description,
                                        datatypeDescription: o["datatype_description"]?.string ?? "",
                                        order: o["order"]?.int ?? k + 1, values: values))
        }
        return out.sorted { ($0.order, $0.code) < ($1.order, $1.code) }
    }

    /// As the service definition serves it (GeoReport v2).
    public var json: JSONValue {
        var o: JSONObject = [
            "variable": true, "code": .string(code), "datatype": .string(datatype.rawValue),
            "required": .bool(required), "datatype_description": .string(datatypeDescription),
            "order": JSONValue(order), "description": .string(description),
        ]
        if datatype.isList {
            o["values"] = .array(values.map { ["key": .string($0.key), "name": .string($0.name)] })
        }
        return .object(o)
    }
}
