import GridMapCases
import GridMapStore
import GridMapGeometry
import GridMapModel

/// A report's answers to its category's attributes (Open311's `attribute[code]`), as every skin
/// sends them: pairs of a code and a value, a code given once per value of a multivaluelist.
/// Checked against the category's definition in the version that stamps the report: an
/// unknown code, a required one missing, a value not of its datatype or not among a list's
/// keys is refused, naming the attribute and what it takes.
public struct CaseAttributes: Sendable, Equatable {
    public static let maxPairs = 50
    public static let maxValue = 1000
    public let pairs: [Pair]

    public struct Pair: Sendable, Equatable {
        public let code: String
        public let value: String
        public init(_ code: String, _ value: String) { (self.code, self.value) = (code, value) }
    }

    public init(_ pairs: [Pair] = []) throws {
        guard pairs.count <= Self.maxPairs else {
            throw RequestError("at most \(Self.maxPairs) attribute values, not \(pairs.count)", code: .tooLong)
        }
        for p in pairs where p.value.count > Self.maxValue || p.code.count > 100 {
            throw RequestError("attribute '\(Parameter.shown(p.code))': a value is at most \(Self.maxValue) "
                               + "characters", code: .tooLong)
        }
        self.pairs = pairs
    }

    /// From `code=value` texts (RESP's `ATTRIBUTE`, the CLI's `--attribute`), one per value.
    public init(codeEqualsValue texts: [String]) throws {
        try self.init(try texts.map { t in
            guard let eq = t.firstIndex(of: "=") else {
                throw RequestError("an attribute is given as code=value, not '\(Parameter.shown(t))'",
                                   code: .badAttribute)
            }
            return Pair(String(t[..<eq]), String(t[t.index(after: eq)...]))
        })
    }

    /// From JSON (`/api/cases`): `{"code": value, "list": ["key", …]}`, a value a string,
    /// number or boolean; nil or null for none.
    public init(json: JSONValue?) throws {
        guard let json, json != .null else { try self.init(); return }
        guard let o = json.object else {
            throw RequestError("attributes is an object of code: value", code: .badAttribute)
        }
        func text(_ v: JSONValue, _ code: String) throws -> String {
            switch v {
            case .string(let s): return s
            case .bool(let b): return b ? "true" : "false"
            case .array, .object, .null:
                throw RequestError("attribute '\(Parameter.shown(code))' is a string, number or list of them",
                                   code: .badAttribute)
            case .number: return v.serialized
            }
        }
        try self.init(try o.pairs.flatMap { code, v in
            try (v.array ?? [v]).map { Pair(code, try text($0, code)) }
        })
    }

    /// The answers kept with the case: each code's value (a list's key, a number, a time in
    /// China's time zone, text), a multivaluelist's keys as an array, in the definition's order.
    func checked(against category: Category, requiring: Bool = true) throws -> JSONObject {
        let defined = category.attributes
        let service = "service \(category.code) (\(category.name))"
        for p in pairs where !defined.contains(where: { $0.code == p.code }) {
            let known = defined.isEmpty ? "it has none"
                : "its attributes: " + defined.map(\.code).joined(separator: ", ")
            throw RequestError("\(service) has no attribute '\(Parameter.shown(p.code))' (\(known); see "
                               + "services/\(category.code).json)", code: .unknownAttribute)
        }
        var out = JSONObject()
        for a in defined {
            let given = pairs.filter { $0.code == a.code }.map(\.value)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let name = "attribute '\(a.code)' (\(a.description))"
            guard !given.isEmpty else {
                if a.required && requiring {
                    throw RequestError("\(service) requires \(name)" + a.takes, code: .missingAttribute)
                }
                continue
            }
            guard given.count == 1 || a.datatype == .multivaluelist else {
                throw RequestError("\(name) takes one value, not \(given.count)", code: .badAttribute)
            }
            out[a.code] = try a.value(given, name: name)
        }
        return out
    }
}

extension ServiceAttribute {
    /// What the attribute takes, for a refusal: `: one of small (少量), …`.
    var takes: String {
        switch datatype {
        case .singlevaluelist, .multivaluelist:
            return (datatype == .singlevaluelist ? ": one of " : ": any of ")
                + values.map { "\($0.key) (\($0.name))" }.joined(separator: ", ")
        case .number: return ": a number"
        case .datetime: return ": a date or time (ISO 8601)"
        case .string, .text: return datatypeDescription.isEmpty ? "" : ": \(datatypeDescription)"
        }
    }

    func value(_ given: [String], name: String) throws -> JSONValue {
        func bad(_ v: String) -> RequestError {
            RequestError("\(name) cannot be '\(Parameter.shown(v))'" + takes, code: .badAttribute)
        }
        switch datatype {
        case .singlevaluelist, .multivaluelist:
            for v in given where !values.contains(where: { $0.key == v }) { throw bad(v) }
            guard Set(given).count == given.count else {
                throw RequestError("\(name) names a value twice", code: .badAttribute)
            }
            let keys = values.map(\.key).filter(given.contains)
            return datatype == .singlevaluelist ? .string(keys[0]) : .array(keys.map { .string($0) })
        case .number:
            guard let n = Double(given[0]), n.isFinite else { throw bad(given[0]) }
            return JSONValue(n)
        case .datetime:
            guard let ms = AsOf.parse(given[0]).ms else { throw bad(given[0]) }
            return .string(CaseCoding.chinaTime(ms))
        case .string:
            return .string(try CaseText.plain(given[0], name, max: 200))
        case .text:
            return .string(try CaseText.plain(given[0], name, max: CaseReportRequest.maxDescription, lines: true))
        }
    }
}
