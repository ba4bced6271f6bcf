import GridMapGeometry

/// A value bound to a case log statement's parameter.
public enum CaseValue: Sendable {
    case int(Int), text(String), double(Double), null
    public init(_ s: String?) { self = s.map { .text($0) } ?? .null }
    public init(_ n: Int64?) { self = n.map { .int(Int($0)) } ?? .null }
}

/// One row of a case log query, as the backend reads it.
public protocol CaseRow {
    func int(_ column: Int32) -> Int
    func text(_ column: Int32) -> String
    func double(_ column: Int32) -> Double
    func isNull(_ column: Int32) -> Bool
}

/// The SQL a backend speaks: where the two differ in the case log's statements.
public enum CaseDialect: Sendable {
    case sqlite, postgres
}

/// What a database gives the case log: statements, and a transaction that writers take one at
/// a time. Everything else (the schema, the stage machine, idempotency, the expected event
/// number, the filters) is `CaseLog`'s, written once for both backends.
public protocol CaseBackend: AnyObject {
    /// Where the log is (a file path, a database URL without its password), for messages.
    var location: String { get }
    var dialect: CaseDialect { get }
    /// Why the log cannot be written here (a store opened read-only), or nil.
    var writeRefusal: String? { get }
    func execute(_ sql: String) throws
    func query(_ sql: String, _ arguments: [CaseValue], row: (any CaseRow) throws -> Void) throws
    /// Runs `body` in one transaction, writers one at a time (across processes and hosts);
    /// durable when it returns.
    func writing<T>(_ body: () throws -> T) throws -> T
}
