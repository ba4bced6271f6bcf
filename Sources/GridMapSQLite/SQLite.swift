import CSQLite
import GridMapGeometry
import GridMapModel
import GridMapStore

/// A SQLite failure with SQLite's own message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }
}

/// One SQLite connection. SQLite connections are used from one thread at a time here (each
/// thread or event loop opens its own), so this is not `Sendable`.
public final class SQLiteDatabase {
    package let handle: OpaquePointer

    public enum Mode { case readOnly, readWriteCreate }

    public init(path: String, mode: Mode = .readWriteCreate) throws {
        var db: OpaquePointer?
        let flags =
            (mode == .readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "\(path): \(message)")
        }
        handle = db
        NativeHandles.created()
        SQLiteDatabase.defineGeometryFunctions(db)
    }

    /// `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY` and `ST_IsEmpty` of GeoPackage geometry
    /// blobs, which a GeoPackage's R-tree triggers call: with them, a layer edited through this
    /// connection (or the sqlite3 shell's equivalent in QGIS) keeps its spatial index current.
    private static func defineGeometryFunctions(_ db: OpaquePointer) {
        let function: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = {
            context, _, arguments in
            let which = Int(bitPattern: sqlite3_user_data(context))
            guard let value = arguments?[0], let bytes = sqlite3_value_blob(value) else {
                sqlite3_result_null(context)
                return
            }
            let blob = UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_value_bytes(value)))
            let box = GeoPackage.box(blob: blob)
            guard which != 5 else { sqlite3_result_int(context, box == nil ? 1 : 0); return }
            guard let box else { sqlite3_result_null(context); return }
            sqlite3_result_double(context, [box.minX, box.maxX, box.minY, box.maxY][which - 1])
        }
        for (k, name) in ["ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY", "ST_IsEmpty"].enumerated() {
            sqlite3_create_function_v2(db, name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                       UnsafeMutableRawPointer(bitPattern: k + 1), function, nil, nil, nil)
        }
    }

    deinit {
        sqlite3_close_v2(handle)
        NativeHandles.destroyed()
    }

    package func error(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs SQL that returns no rows (several statements allowed).
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error"
            sqlite3_free(message)
            throw SQLiteError(code: rc, message: text)
        }
    }

    public func prepare(_ sql: String) throws -> SQLiteStatement { try SQLiteStatement(self, sql) }

    /// Runs one statement with the given arguments and returns its rows through `row`.
    public func query(
        _ sql: String, _ arguments: [SQLiteValue] = [], row: (SQLiteStatement) throws -> Void = { _ in }
    ) throws {
        let stmt = try prepare(sql)
        for (i, a) in arguments.enumerated() { try stmt.bind(Int32(i + 1), a) }
        while try stmt.step() { try row(stmt) }
    }

    /// The first column of the first row, as an integer (nil when there is no row or it is NULL).
    public func scalar(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> Int? {
        var value: Int?
        try query(sql, arguments) { if value == nil && !$0.isNull(0) { value = $0.int(0) } }
        return value
    }

    /// The first column of the first row, as text.
    public func text(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> String? {
        var value: String?
        try query(sql, arguments) { if value == nil && !$0.isNull(0) { value = $0.text(0) } }
        return value
    }

    /// `count` bytes at `offset` of the main database file as they are on disk now (not as
    /// cached), read through SQLite's own descriptor. A descriptor of the caller's own would,
    /// when closed, drop every POSIX lock this process holds on the file, SQLite's included:
    /// another process closing its connection would then take itself for the last one and
    /// delete the write-ahead log under this one, which would never see a new commit again.
    /// Bytes past the end of the file read as zeros.
    public func readMainFile(count: Int, offset: Int64) throws -> [UInt8] {
        var file: UnsafeMutablePointer<sqlite3_file>?
        let rc = withUnsafeMutablePointer(to: &file) {
            sqlite3_file_control(handle, "main", SQLITE_FCNTL_FILE_POINTER, $0)
        }
        guard rc == SQLITE_OK, let file, let read = file.pointee.pMethods?.pointee.xRead else {
            throw SQLiteError(code: rc == SQLITE_OK ? SQLITE_MISUSE : rc, message: "no file behind the database")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        let r = bytes.withUnsafeMutableBytes { read(file, $0.baseAddress, Int32(count), offset) }
        let shortRead: Int32 = 522  // SQLITE_IOERR_SHORT_READ: the file ends before count bytes
        guard r == SQLITE_OK || r == shortRead else { throw error(r) }
        return bytes
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Sets how long a statement waits for another connection's lock before SQLITE_BUSY.
    public func busyTimeout(milliseconds: Int32) { sqlite3_busy_timeout(handle, milliseconds) }

    /// Whether SQLite opened the main database read-only (it does so quietly for a file it
    /// may not write, even when asked for read-write).
    public var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

    /// Runs `body` in a transaction, rolled back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// A value bound to a statement's parameter.
public enum SQLiteValue: Sendable {
    case integer(Int), real(Double), text(String), blob([UInt8]), null
}

extension SQLiteValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
}

/// A prepared statement: bind, step through rows, reset, reuse.
public final class SQLiteStatement {
    package let db: SQLiteDatabase
    package let handle: OpaquePointer

    package init(_ db: SQLiteDatabase, _ sql: String) throws {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db.handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw db.error(rc) }
        self.db = db
        handle = stmt
    }

    deinit { sqlite3_finalize(handle) }

    // SQLITE_TRANSIENT: SQLite copies the bytes, so Swift strings may go away after binding.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    @discardableResult
    public func reset() -> SQLiteStatement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        return self
    }

    public func bind(_ index: Int32, _ value: String?) throws {
        let rc =
            value.map { sqlite3_bind_text(handle, index, $0, -1, SQLiteStatement.transient) }
            ?? sqlite3_bind_null(handle, index)
        guard rc == SQLITE_OK else { throw db.error(rc) }
    }
    public func bind(_ index: Int32, _ value: Int?) throws {
        let rc = value.map { sqlite3_bind_int64(handle, index, Int64($0)) } ?? sqlite3_bind_null(handle, index)
        guard rc == SQLITE_OK else { throw db.error(rc) }
    }
    public func bind(_ index: Int32, _ value: [UInt8]?) throws {
        let rc: Int32
        if let value {
            rc = value.withUnsafeBytes {
                sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), SQLiteStatement.transient)
            }
        } else {
            rc = sqlite3_bind_null(handle, index)
        }
        guard rc == SQLITE_OK else { throw db.error(rc) }
    }
    public func bind(_ index: Int32, _ value: Double) throws {
        let rc = sqlite3_bind_double(handle, index, value)
        guard rc == SQLITE_OK else { throw db.error(rc) }
    }

    public func bind(_ index: Int32, _ value: SQLiteValue) throws {
        switch value {
        case .integer(let v): try bind(index, v)
        case .real(let v): try bind(index, v)
        case .text(let v): try bind(index, v)
        case .blob(let v): try bind(index, v)
        case .null: try bind(index, nil as String?)
        }
    }

    /// Advances to the next row: true while there is one.
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw db.error(rc)
    }

    public func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: p)
    }
    public func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    public func blob(_ column: Int32) -> [UInt8]? {
        guard let p = sqlite3_column_blob(handle, column) else { return nil }
        return Array(UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, column))))
    }
    /// A blob column's bytes in place: valid until the statement steps or resets.
    package func blobBytes(_ column: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, column),
                               count: Int(sqlite3_column_bytes(handle, column)))
    }
    public enum ColumnType { case integer, real, text, blob, null }
    public func columnType(_ column: Int32) -> ColumnType {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: .integer
        case SQLITE_FLOAT: .real
        case SQLITE_TEXT: .text
        case SQLITE_BLOB: .blob
        default: .null
        }
    }
    public var columnCount: Int32 { sqlite3_column_count(handle) }
    public func columnName(_ column: Int32) -> String { String(cString: sqlite3_column_name(handle, column)) }
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
}
