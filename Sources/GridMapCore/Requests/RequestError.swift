import GridMapGeometry
import GridMapModel
import GridMapStore

/// A request the engine cannot take as given: a parameter missing, not a number, out of its
/// range. Every skin's parameters are read by `Parameter`, so the same mistake gets the same
/// code and message over RESP, HTTP and the CLI.
public struct RequestError: KindedError, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        case addressNotFound = "address_not_found"
        case badArea = "bad_area"
        case badAttribute = "bad_attribute"
        case badAttribution = "bad_attribution"
        case badAuthor = "bad_author"
        case badBy = "bad_by"
        case badCase = "bad_case"
        case badDraft = "bad_draft"
        case badFile = "bad_file"
        case badFlag = "bad_flag"
        case badForm = "bad_form"
        case badFormat = "bad_format"
        case badGeojson = "bad_geojson"
        case badId = "bad_id"
        case badJson = "bad_json"
        case badLayer = "bad_layer"
        case badMinimum = "bad_minimum"
        case badNumber = "bad_number"
        case badRequest = "bad_request"
        case badRole = "bad_role"
        case badStatus = "bad_status"
        case badTime = "bad_time"
        case missing = "missing"
        case missingAttribute = "missing_attribute"
        case missingParameter = "missing_parameter"
        case noNetwork = "no_network"
        case outOfRange = "out_of_range"
        case outsideDistrict = "outside_district"
        case tooLong = "too_long"
        case unknownAttribute = "unknown_attribute"
        case unknownCategory = "unknown_category"
        case unknownJurisdiction = "unknown_jurisdiction"
        case unknownKind = "unknown_kind"
        case unknownOperation = "unknown_operation"
        case unknownParameter = "unknown_parameter"

        /// Each code's kind, stated per case (a new code must say which it is).
        public var kind: ErrorKind {
            switch self {
            case .badArea, .badAttribute, .badAttribution, .badAuthor, .badBy, .badCase, .badDraft, .badFile,
                 .badFlag, .badForm, .badFormat, .badGeojson, .badId, .badJson, .badLayer, .badMinimum, .badNumber,
                 .badRequest, .badRole, .badStatus, .badTime, .missing, .missingAttribute, .missingParameter,
                 .outOfRange, .outsideDistrict, .tooLong, .unknownAttribute, .unknownKind,
                 .unknownParameter: .badRequest
            case .addressNotFound, .noNetwork, .unknownCategory, .unknownJurisdiction, .unknownOperation: .notFound
            }
        }
    }

    public let typed: Code
    public let message: String
    public var kind: ErrorKind { typed.kind }
    public var code: String { typed.rawValue }

    public init(_ message: String, code: Code = .badRequest) {
        typed = code
        self.message = message
    }
}

/// Reading a request's parameters from text (an HTTP query, a CLI argument, a RESP argument),
/// with the messages every skin gives.
public enum Parameter {
    /// A decimal number, parsed exactly (`exactDecimal`, the nearest double, as `strtod`).
    public static func number(_ text: String, _ name: String) throws -> Double {
        if let v = parseDecimal(text.trimmingCharacters(in: .whitespaces)) { return v }
        throw notANumber(text, name)
    }

    /// The same from a RESP argument's bytes: the fast path, with no string made.
    @inline(__always)
    public static func number(bytes: UnsafeRawBufferPointer, _ name: String) throws -> Double {
        if let v = exactDecimal(bytes) { return v }
        return try number(String(decoding: bytes, as: UTF8.self), name)
    }

    package static func notANumber(_ text: String, _ name: String) -> RequestError {
        RequestError("\(name) '\(shown(text))' is not a number", code: .badNumber)
    }

    /// A whole number; its range is the request's to check.
    public static func integer(_ text: String, _ name: String) throws -> Int {
        guard let v = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw RequestError("\(name) '\(shown(text))' is not a whole number", code: .badNumber)
        }
        return v
    }

    /// A parameter the request cannot do without.
    public static func required<T>(_ value: T?, _ name: String, _ hint: String = "") throws -> T {
        guard let value else {
            throw RequestError("missing \(name)\(hint.isEmpty ? "" : ": " + hint)", code: .missing)
        }
        return value
    }

    /// At most 40 characters of what a client sent, a NUL shown as `\0`.
    package static func shown(_ text: String) -> String {
        String(text.prefix(40)).replacingOccurrences(of: "\0", with: "\\0")
    }
}
