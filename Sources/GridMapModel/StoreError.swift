import Foundation
import GridMapGeometry

/// A store that cannot be opened or used, or a store request it cannot answer, named by its
/// file. `message` never holds the path (skins show `file` only to whom it may concern).
public struct StoreError: KindedError, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        case alreadyCurrent = "already_current"
        case badAsof = "bad_asof"
        case badData = "bad_data"
        case badStoredRow = "bad_stored_row"
        case geometryFailure = "geometry_failure"
        case historyAppendOnly = "history_append_only"
        case noPostgis = "no_postgis"
        case noStore = "no_store"
        case noVersion = "no_version"
        case notAStore = "not_a_store"
        case nothingToPublish = "nothing_to_publish"
        case retiredCode = "retired_code"
        case servedFromMemory = "served_from_memory"
        case storeCorrupt = "store_corrupt"
        case storeError = "store_error"
        case storeExists = "store_exists"
        case storeFailed = "store_failed"
        case storeForbidden = "store_forbidden"
        case storeReadOnly = "store_read_only"
        case storeUnavailable = "store_unavailable"
        case storeUnusable = "store_unusable"
        case unknownVersion = "unknown_version"
        case writeFailed = "write_failed"

        /// Each code's kind, stated per case (a new code must say which it is).
        public var kind: ErrorKind {
            switch self {
            case .badAsof, .badData, .notAStore, .nothingToPublish, .retiredCode: .badRequest
            case .alreadyCurrent, .storeExists: .conflict
            case .historyAppendOnly, .storeForbidden: .forbidden
            case .badStoredRow, .geometryFailure, .noVersion, .storeCorrupt, .storeError, .storeFailed,
                 .storeReadOnly, .storeUnusable, .writeFailed: .internal
            case .noStore, .unknownVersion: .notFound
            case .noPostgis, .servedFromMemory, .storeUnavailable: .unavailable
            }
        }
    }

    public let file: String
    public let message: String
    public let typed: Code
    public var kind: ErrorKind { typed.kind }
    public var code: String { typed.rawValue }
    public init(_ file: String, _ message: String, code: Code = .storeError) {
        self.file = file
        self.message = message
        typed = code
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
            ($0.kind == .internal && planner) || $0.typed == .badData ? $0.description : $0.message
        } ?? errorMessage
        guard errorKind == .internal else { return text }
        // A library's own words (SQLite's, NIO's) are for planners and the log only.
        return self is StoreError || planner ? "internal error: \(text)" : "internal error (logged by the server)"
    }
}
