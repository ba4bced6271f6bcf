import Foundation
import GridMapCases

extension PGRow: CaseRow {}

/// The case log in the store's PostgreSQL database, on a connection of its own: several
/// servers share it, and a case written on one host is read by the others at their next
/// query. Writers take a transaction-scoped advisory lock of their own (not the publish
/// lock: a report never waits for a publish).
public final class PostgresCaseBackend: CaseBackend {
    /// The advisory lock case writers take ("CASE").
    static let caseLock = 0x4341_5345
    public let location: String
    public let dialect = CaseDialect.postgres
    public let writeRefusal: String? = nil
    private let db: PostgreSQLConnection

    public init(_ conninfo: String) throws {
        location = PostgreSQLConnection.redacted(conninfo)
        do { db = try PostgreSQLConnection(conninfo) } catch let e as PostgreSQLError {
            throw CaseError(.caseLogUnavailable, "the case log in \(location) cannot be opened: \(e)")
        }
    }

    public func execute(_ sql: String) throws { try wrapped { try db.exec(sql) } }

    public func query(_ sql: String, _ arguments: [CaseValue], row: (any CaseRow) throws -> Void) throws {
        try wrapped {
            _ = try db.query(sql, arguments.map {
                switch $0 {
                case .int(let n): .int(n)
                case .text(let t): .text(t)
                case .double(let d): .double(d)
                case .null: .null
                }
            }) { try row($0) }
        }
    }

    public func writing<T>(_ body: () throws -> T) throws -> T {
        try wrapped {
            try db.transaction {
                try db.exec("SELECT pg_advisory_xact_lock(\(Self.caseLock))")
                return try body()
            }
        }
    }

    private func wrapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PostgreSQLError {
            throw CaseError(.caseLogUnavailable, "the case log in \(location) failed: \(e)")
        }
    }
}
