import Foundation
import GridMapCases

extension SQLiteStatement: CaseRow {}

/// The case log in the store's SQLite file, on a connection of its own: its writes do not
/// wait behind a publish's lock in this process, and SQLite's file lock (`BEGIN IMMEDIATE`)
/// makes writers from every process take turns. WAL with `synchronous = FULL`: a case is
/// durable when its transaction returns.
public final class SQLiteCaseBackend: CaseBackend {
    public let location: String
    public let dialect = CaseDialect.sqlite
    public let writeRefusal: String?
    private let db: SQLiteDatabase

    /// Each connection's page cache (KiB): filled only as pages are read.
    public static let cacheKiB = 65_536

    public init(path: String, readOnly: Bool = false) throws {
        location = path
        do {
            db = try SQLiteDatabase(path: path, mode: readOnly ? .readOnly : .readWriteCreate)
            db.busyTimeout(milliseconds: 10_000)
            if !readOnly { try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL") }
            // The queues' pages kept in the connection: SQLite's default 2 MB held a fraction of
            // a long history's indexes, and each page beyond it was read again from the kernel.
            try db.execute("PRAGMA cache_size = -\(Self.cacheKiB)")
        } catch let e as SQLiteError {
            throw CaseError(.caseLogUnavailable, "the case log in \(path) cannot be opened: \(e)")
        }
        writeRefusal = readOnly || db.isReadOnly ? "the store file was opened read-only" : nil
    }

    public func execute(_ sql: String) throws { try wrapped { try db.execute(sql) } }

    public func query(_ sql: String, _ arguments: [CaseValue], row: (any CaseRow) throws -> Void) throws {
        try wrapped {
            try db.query(sql, arguments.map {
                switch $0 {
                case .int(let n): .integer(n)
                case .text(let t): .text(t)
                case .double(let d): .real(d)
                case .null: .null
                }
            }) { try row($0) }
        }
    }

    public func writing<T>(_ body: () throws -> T) throws -> T { try wrapped { try db.transaction(body) } }

    /// A database failure is the server's, said with the file's name; a refusal passes through.
    private func wrapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as SQLiteError {
            throw CaseError(.caseLogUnavailable, "the case log in \(location) failed: \(e)")
        }
    }
}
