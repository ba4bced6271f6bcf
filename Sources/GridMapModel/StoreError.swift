import Foundation
import GridMapGeometry

/// A store that cannot be opened or used, or a store request it cannot answer, named by its
/// file. `message` never holds the path (skins show `file` only to whom it may concern).
public struct StoreError: KindedError, Sendable {
    public let file: String
    public let message: String
    public let kind: ErrorKind
    public let code: String
    public init(_ file: String, _ message: String, kind: ErrorKind = .internal, code: String = "store_error") {
        self.file = file
        self.message = message
        self.kind = kind
        self.code = code
    }
    public var description: String { "\(file): \(message)" }
}

/// A publish that expected another version to be current.
public struct StaleVersionError: KindedError, Sendable {
    public let expected: Int
    public let current: Int
    package init(expected: Int, current: Int) { (self.expected, self.current) = (expected, current) }
    public var kind: ErrorKind { .conflict }
    public var code: String { "stale_version" }
    public var description: String { message }
    public var message: String {
        "stale publish: it expects to replace version \(expected), but the current version is \(current)"
    }
}

extension Error {
    /// The message a client is shown, the same by every skin: an error of a known kind says
    /// what it says; an internal one says it is internal (RESP has no status to say it), and
    /// names the store's file to planners only; a data file that does not read is named (it
    /// is the client's own).
    public func clientMessage(planner: Bool) -> String {
        let text = (self as? StoreError).map {
            ($0.kind == .internal && planner) || $0.code == "bad_data" ? $0.description : $0.message
        } ?? errorMessage
        guard errorKind == .internal else { return text }
        // A library's own words (SQLite's, NIO's) are for planners and the log only.
        return self is StoreError || planner ? "internal error: \(text)" : "internal error (logged by the server)"
    }
}
