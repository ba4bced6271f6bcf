import GridMapGeometry
import GridMapModel
import GridMapStore

/// A request the engine cannot take as given: a parameter missing, not a number, out of its
/// range. Every skin's parameters are read by `Parameter`, so the same mistake gets the same
/// code and message over RESP, HTTP and the CLI.
public struct RequestError: KindedError, Sendable {
    public let kind: ErrorKind
    public let code: String
    public let message: String

    public init(_ message: String, code: String = "bad_request", kind: ErrorKind = .badRequest) {
        self.kind = kind
        self.code = code
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
        RequestError("\(name) '\(shown(text))' is not a number", code: "bad_number")
    }

    /// A whole number; its range is the request's to check.
    public static func integer(_ text: String, _ name: String) throws -> Int {
        guard let v = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw RequestError("\(name) '\(shown(text))' is not a whole number", code: "bad_number")
        }
        return v
    }

    /// A parameter the request cannot do without.
    public static func required<T>(_ value: T?, _ name: String, _ hint: String = "") throws -> T {
        guard let value else {
            throw RequestError("missing \(name)\(hint.isEmpty ? "" : ": " + hint)", code: "missing")
        }
        return value
    }

    /// At most 40 characters of what a client sent, a NUL shown as `\0`.
    package static func shown(_ text: String) -> String {
        String(text.prefix(40)).replacingOccurrences(of: "\0", with: "\\0")
    }
}
