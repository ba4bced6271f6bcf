#if canImport(Glibc)
import Glibc
#endif
import CLibPQ
import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// A PostgreSQL failure: the server's SQLSTATE and message, or (no state) a connection that
/// could not be made or was lost.
public struct PostgreSQLError: Error, CustomStringConvertible, Sendable {
    /// The five-character SQLSTATE, nil when the connection failed (no server answer).
    public let state: String?
    public let message: String
    public var description: String { state.map { "PostgreSQL error \($0): \(message)" } ?? "PostgreSQL: \(message)" }
    /// The connection is gone or the server is going away (class 08, 57P0x): try again later.
    package var isConnectionFailure: Bool {
        guard let state else { return true }
        return state.hasPrefix("08") || state.hasPrefix("57P")
    }
}

/// A value bound to a statement's parameter: text, numbers and null are sent as text (in full
/// precision), bytes as binary `bytea`.
public enum PGValue {
    case text(String)
    case int(Int)
    case double(Double)
    case bytes([UInt8])
    case null

    package init(_ s: String?) { self = s.map { .text($0) } ?? .null }
    package init(_ b: [UInt8]?) { self = b.map { .bytes($0) } ?? .null }
}

/// One row of a result, read in binary format (as the server stores it: no number parsed
/// from text). Valid only inside the callback that received it.
public struct PGRow {
    package let result: OpaquePointer
    package let row: Int32

    public func isNull(_ c: Int32) -> Bool { PQgetisnull(result, row, c) == 1 }

    private func bytes(_ c: Int32) -> UnsafeRawBufferPointer {
        let n = Int(PQgetlength(result, row, c))
        guard let p = PQgetvalue(result, row, c) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    public func text(_ c: Int32) -> String {
        String(decoding: bytes(c), as: UTF8.self)
    }

    public func blob(_ c: Int32) -> [UInt8] { Array(bytes(c)) }

    /// An integer column of any width (int2, int4, int8) or a boolean.
    public func int(_ c: Int32) -> Int {
        let b = bytes(c)
        var v: Int64 = 0
        for byte in b { v = v << 8 | Int64(byte) }
        switch b.count {
        case 1: return Int(v)
        case 2: return Int(Int16(truncatingIfNeeded: v))
        case 4: return Int(Int32(truncatingIfNeeded: v))
        default: return Int(v)
        }
    }

    public func double(_ c: Int32) -> Double {
        let b = bytes(c)
        var bits: UInt64 = 0
        for byte in b { bits = bits << 8 | UInt64(byte) }
        return b.count == 4 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))) : Double(bitPattern: bits)
    }
}

/// One libpq connection, the only owner of its `PGconn` pointer. Used from one thread at a
/// time (the store that holds it is called under a lock), so not `Sendable`. A connection
/// that was lost is made again (`PQreset`, the same connection string: with several hosts
/// and `target_session_attrs=read-write` that finds the new primary after a failover) at
/// the next call that needs it.
public final class PostgreSQLConnection {
    private var handle: OpaquePointer?
    /// The connection string as given (it may hold a password: never shown).
    package let conninfo: String
    /// Where it points, without any password, for messages.
    public let location: String

    public init(_ conninfo: String) throws {
        self.conninfo = conninfo
        location = PostgreSQLConnection.redacted(conninfo)
        handle = PostgreSQLConnection.connect(conninfo)
        NativeHandles.created()
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = lastError
            PQfinish(handle)
            handle = nil
            NativeHandles.destroyed()
            throw PostgreSQLError(state: nil, message: message)
        }
        _ = try? exec("SET client_min_messages = warning")
    }

    /// Settings a server needs that libpq leaves off, unless the connection string sets them:
    /// give up connecting after 5 s (else a host whose link is cut stalls the watcher for
    /// minutes), and notice a silent peer within about 15 s (TCP keepalives and a user
    /// timeout), so a lost primary is left for the next host of the string.
    package static let defaults: [(String, String)] = [
        ("connect_timeout", "5"), ("keepalives_idle", "5"), ("keepalives_interval", "2"),
        ("keepalives_count", "3"), ("tcp_user_timeout", "15000"), ("application_name", "gridmap"),
    ]

    /// `PQconnectdbParams` with the defaults first and the caller's string last, expanded:
    /// libpq lets later settings override earlier ones, so the caller's always win.
    private static func connect(_ conninfo: String) -> OpaquePointer? {
        let keys = defaults.map(\.0) + ["dbname"], values = defaults.map(\.1) + [conninfo]
        let k = keys.map { strdup($0) }, v = values.map { strdup($0) }
        defer { (k + v).forEach { free($0) } }
        let keyPointers = k.map { UnsafePointer($0) } + [nil], valuePointers = v.map { UnsafePointer($0) } + [nil]
        return PQconnectdbParams(keyPointers, valuePointers, 1)
    }

    deinit {
        if let handle {
            PQfinish(handle)
            NativeHandles.destroyed()
        }
    }

    /// A connection string without its password, for logs, INFO and errors. libpq itself
    /// reads the string (`PQconninfoParse`), so every spelling it accepts is caught: a URI's
    /// `user:password@`, `?password=` with its key percent-encoded, key/value pairs with
    /// quoted values and escaped quotes. Without a password the string is shown as given;
    /// with one, as the key/value pairs libpq read, the password replaced by `…`; one libpq
    /// cannot read is not shown at all.
    public static func redacted(_ conninfo: String) -> String {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &error) else {
            if let error { PQfreemem(error) }
            return "(a connection string libpq cannot read; not shown, it may hold a password)"
        }
        defer { PQconninfoFree(options) }
        var pairs: [(String, String)] = []
        var hasPassword = false
        var k = 0
        while let keyword = options[k].keyword {
            defer { k += 1 }
            guard let value = options[k].val else { continue }
            let key = String(cString: keyword)
            if key == "password" { hasPassword = true; continue }
            pairs.append((key, String(cString: value)))
        }
        guard hasPassword else { return conninfo }
        func quoted(_ v: String) -> String {
            guard v.isEmpty || v.contains(where: { $0 == " " || $0 == "'" || $0 == "\\" }) else { return v }
            return "'" + v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        }
        return (pairs.map { "\($0.0)=\(quoted($0.1))" } + ["password=…"]).joined(separator: " ")
    }

    private var lastError: String {
        guard let handle, let m = PQerrorMessage(handle) else { return "cannot connect" }
        return String(cString: m).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The host and port actually connected to (of several in the connection string).
    public var server: String {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return "(not connected)" }
        return "\(String(cString: PQhost(handle))):\(String(cString: PQport(handle)))"
    }

    /// Makes the connection again if it was lost. Throws when no server answers.
    package func connected() throws -> OpaquePointer {
        guard let handle else { throw PostgreSQLError(state: nil, message: "connection closed") }
        if PQstatus(handle) != CONNECTION_OK {
            PQreset(handle)
            guard PQstatus(handle) == CONNECTION_OK else {
                throw PostgreSQLError(state: nil, message: lastError)
            }
        }
        return handle
    }

    /// A failed result (or none) as an error, the result cleared.
    private func failure(_ result: OpaquePointer?) -> PostgreSQLError {
        defer { PQclear(result) }
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        let message = result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0) } ?? ""
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        let lost = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
        return PostgreSQLError(state: lost ? nil : state, message: text.isEmpty ? lastError : text)
    }

    private static func ok(_ result: OpaquePointer?) -> Bool {
        let s = PQresultStatus(result)
        return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_SINGLE_TUPLE
    }

    /// Runs SQL without parameters (several statements allowed).
    public func exec(_ sql: String) throws {
        let result = PQexec(try connected(), sql)
        guard PostgreSQLConnection.ok(result) else { throw failure(result) }
        PQclear(result)
    }

    /// Sends `sql` with `arguments` and hands each row to `row` as it arrives (libpq's
    /// single-row mode: a million rows are never held at once). Answers the rows affected.
    @discardableResult
    public func query(_ sql: String, _ arguments: [PGValue] = [], row: (PGRow) throws -> Void = { _ in }) throws
        -> Int
    {
        let conn = try connected()
        let sent = try withParameters(arguments) { types, values, lengths, formats in
            PQsendQueryParams(conn, sql, Int32(arguments.count), types, values, lengths, formats, 1)
        }
        guard sent == 1 else { throw PostgreSQLError(state: nil, message: lastError) }
        PQsetSingleRowMode(conn)
        var failed: PostgreSQLError?, thrown: Error?, affected = 0
        // Every result is read to the end, even after a failure, so the connection stays usable.
        while let result = PQgetResult(conn) {
            let status = PQresultStatus(result)
            if status == PGRES_SINGLE_TUPLE, failed == nil, thrown == nil {
                do { try row(PGRow(result: result, row: 0)) } catch { thrown = error }
                PQclear(result)
            } else if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE {
                if let n = PQcmdTuples(result), let count = Int(String(cString: n)) { affected = count }
                PQclear(result)
            } else if failed == nil {
                failed = failure(result)
            } else {
                PQclear(result)
            }
        }
        if let failed { throw failed }
        if let thrown { throw thrown }
        if PQstatus(conn) != CONNECTION_OK { throw PostgreSQLError(state: nil, message: lastError) }
        return affected
    }

    /// The first column of the first row as an integer, nil for no row or NULL.
    public func scalar(_ sql: String, _ arguments: [PGValue] = []) throws -> Int? {
        var out: Int?
        try query(sql, arguments) { r in if out == nil, !r.isNull(0) { out = r.int(0) } }
        return out
    }

    public func text(_ sql: String, _ arguments: [PGValue] = []) throws -> String? {
        var out: String?
        try query(sql, arguments) { r in if out == nil, !r.isNull(0) { out = r.text(0) } }
        return out
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN")
        do {
            let result = try body()
            try exec("COMMIT")
            return result
        } catch {
            _ = try? exec("ROLLBACK")
            throw error
        }
    }

    /// `COPY … FROM STDIN` in text format: `write` adds rows to the writer, sent in 256 KiB
    /// pieces (the fast way in for millions of addresses).
    public func copy(_ sql: String, _ write: (inout PGCopyWriter) throws -> Void) throws {
        let conn = try connected()
        let started = PQexec(conn, sql)
        guard PQresultStatus(started) == PGRES_COPY_IN else { throw failure(started) }
        PQclear(started)
        var writer = PGCopyWriter { bytes in
            let sent = bytes.withUnsafeBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    PQputCopyData(conn, $0, Int32(bytes.count))
                }
            }
            if sent != 1 { throw PostgreSQLError(state: nil, message: "COPY: \(self.lastError)") }
        }
        var problem: Error?
        do {
            try write(&writer)
            try writer.send()
        } catch { problem = error }
        PQputCopyEnd(conn, problem == nil ? nil : "aborted by gridmap")
        var failed: PostgreSQLError?
        while let result = PQgetResult(conn) {
            if PQresultStatus(result) != PGRES_COMMAND_OK, failed == nil { failed = failure(result) } else {
                PQclear(result)
            }
        }
        if let problem { throw problem }
        if let failed { throw failed }
    }

    // Notifications.

    /// Waits up to `timeout` seconds for notifications (after `LISTEN`), answering their
    /// payloads: empty when none came in time. Throws when the connection is lost.
    public func notifications(timeout: Double) throws -> [String] {
        let conn = try connected()
        var out = drain(conn)
        guard out.isEmpty else { return out }
        var fds = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        let n = poll(&fds, 1, Int32(max(0, timeout * 1000)))
        if n > 0 {
            guard PQconsumeInput(conn) == 1 else { throw PostgreSQLError(state: nil, message: lastError) }
            out = drain(conn)
        }
        if PQstatus(conn) != CONNECTION_OK { throw PostgreSQLError(state: nil, message: lastError) }
        return out
    }

    private func drain(_ conn: OpaquePointer) -> [String] {
        var out: [String] = []
        while let n = PQnotifies(conn) {
            out.append(String(cString: n.pointee.extra))
            PQfreemem(n)
        }
        return out
    }

    /// The backend's process id (to find this connection in `pg_stat_activity`).
    public var backendPID: Int { handle.map { Int(PQbackendPID($0)) } ?? 0 }

    /// Binds `arguments` as libpq wants them: text for all but bytes (binary `bytea`).
    private func withParameters<T>(
        _ arguments: [PGValue],
        _ body: (UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
                 UnsafePointer<Int32>?) -> T
    ) throws -> T {
        var storage: [[UInt8]?] = []
        var types: [Oid] = [], lengths: [Int32] = [], formats: [Int32] = []
        for a in arguments {
            switch a {
            case .text(let s): storage.append(Array(s.utf8) + [0]); types.append(0); formats.append(0)
            case .int(let i): storage.append(Array(String(i).utf8) + [0]); types.append(20); formats.append(0)
            case .double(let d):
                storage.append(Array("\(d)".utf8) + [0]); types.append(701); formats.append(0)
            case .bytes(let b): storage.append(b); types.append(17); formats.append(1)
            case .null: storage.append(nil); types.append(0); formats.append(0)
            }
            lengths.append(Int32(storage.last!?.count ?? 0))
        }
        // Pointers into each argument's bytes, valid while `storage` is.
        var pointers: [UnsafePointer<CChar>?] = []
        var owned: [UnsafeMutablePointer<UInt8>] = []
        defer { owned.forEach { $0.deallocate() } }
        for s in storage {
            guard let s else { pointers.append(nil); continue }
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, s.count))
            p.initialize(from: s, count: s.count)
            owned.append(p)
            pointers.append(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
        }
        return body(types, pointers, lengths, formats)
    }
}

/// Rows for `COPY … FROM STDIN` (text format), escaped as COPY reads them.
public struct PGCopyWriter {
    private var buffer: [UInt8] = []
    private let flush: ([UInt8]) throws -> Void

    package init(flush: @escaping ([UInt8]) throws -> Void) {
        self.flush = flush
        buffer.reserveCapacity(1 << 18)
    }

    /// Adds one row; nil fields are NULL.
    public mutating func row(_ fields: [PGValue]) throws {
        for (i, f) in fields.enumerated() {
            if i > 0 { buffer.append(9) }
            switch f {
            case .null: buffer.append(contentsOf: [92, 78])  // \N
            case .int(let v): buffer.append(contentsOf: String(v).utf8)
            case .double(let d): buffer.append(contentsOf: "\(d)".utf8)
            case .text(let s): escape(s.utf8)
            case .bytes(let b):
                // bytea's hex input `\x…`, its backslash doubled for COPY.
                buffer.append(contentsOf: [92, 92, 120])
                let hex = Array("0123456789abcdef".utf8)
                for byte in b { buffer.append(hex[Int(byte >> 4)]); buffer.append(hex[Int(byte & 15)]) }
            }
        }
        buffer.append(10)
        if buffer.count >= 1 << 18 { try send() }
    }

    private mutating func escape(_ s: String.UTF8View) {
        for c in s {
            switch c {
            case 92: buffer.append(contentsOf: [92, 92])
            case 9: buffer.append(contentsOf: [92, 116])
            case 10: buffer.append(contentsOf: [92, 110])
            case 13: buffer.append(contentsOf: [92, 114])
            default: buffer.append(c)
            }
        }
    }

    /// Sends what is buffered.
    package mutating func send() throws {
        if !buffer.isEmpty { try flush(buffer) }
        buffer.removeAll(keepingCapacity: true)
    }
}
