import Foundation
import NIOCore

/// Bounds on what one request may be. A client past them gets an error and is disconnected:
/// after a refused frame the stream cannot be resynchronized.
public struct RESPLimits: Sendable {
    /// Bytes in one request (all its arguments and framing).
    public var maxRequestBytes = 4 << 20
    /// Elements in one array.
    public var maxArrayLength = 1024
    /// Arrays inside arrays; commands need only one level.
    public var maxNesting = 2
    /// Bytes in one inline (telnet-style) command line.
    public var maxInlineBytes = 64 << 10
    public init() {}
}

public struct RESPProtocolError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { "Protocol error: \(message)" }
}

/// Parses RESP requests: arrays of bulk strings (RESP2/RESP3 clients) and inline commands
/// (`PING`, `LOCATE 109.43 24.3` typed into nc or telnet). Stateless between frames: each
/// call parses from the start of the buffer and consumes only a whole frame, which is cheap
/// because a frame is bounded by `RESPLimits`.
public enum RESPRequestDecoder {
    /// One request from the front of `buffer` into `request` (no arguments for a blank
    /// inline line): true when a whole frame was consumed, false when more bytes are needed.
    public static func parseFrame(
        _ buffer: inout ByteBuffer, limits: RESPLimits, into request: inout RESPRequest
    ) throws -> Bool {
        if let end = parseBulkArray(buffer, limits: limits, into: &request) {
            // The frames of one read share its buffer: assigning it again for each would cost
            // two reference counts a request.
            if !request.storage.hasSameStorage(as: buffer) { request.storage = buffer }
            buffer.moveReaderIndex(forwardBy: end)
            return true
        }
        guard let arguments = try parseGeneral(&buffer, limits: limits) else { return false }
        request.set(arguments)
        return true
    }

    /// One request, in a request of its own (tests and tools; the server reuses one).
    public static func parseFrame(_ buffer: inout ByteBuffer, limits: RESPLimits) throws -> RESPRequest? {
        var request = RESPRequest()
        guard try parseFrame(&buffer, limits: limits, into: &request) else { return nil }
        return request
    }

    /// The frame nearly every client sends, `*N` and N bulk strings, when it is complete and
    /// within the limits: its arguments recorded as ranges of `buffer`, and the frame's
    /// length returned. Anything else (incomplete, malformed, other element types) returns
    /// nil and is left to `parseGeneral`, which tells "more bytes" from errors.
    @inline(__always)
    static func parseBulkArray(_ buffer: ByteBuffer, limits: RESPLimits, into request: inout RESPRequest) -> Int? {
        let base = buffer.readerIndex
        return buffer.withUnsafeReadableBytes { p -> Int? in
            guard p.count >= 4, p[0] == UInt8(ascii: "*") else { return nil }
            var i = 1
            guard let count = decimal(p, &i), count > 0, count <= limits.maxArrayLength else { return nil }
            request.removeAll()
            for _ in 0..<count {
                guard i < p.count, p[i] == UInt8(ascii: "$") else { return nil }
                i += 1
                guard let length = decimal(p, &i), length <= limits.maxRequestBytes,
                    p.count - i >= length + 2, p[i + length] == UInt8(ascii: "\r"),
                    p[i + length + 1] == UInt8(ascii: "\n")
                else { return nil }
                request.append(start: base + i, length: length)
                i += length + 2
                guard i <= limits.maxRequestBytes else { return nil }
            }
            return i
        }
    }

    /// Up to 18 decimal digits followed by CRLF, from `i`; nil (and `i` unmoved) otherwise.
    @inline(__always)
    private static func decimal(_ p: UnsafeRawBufferPointer, _ i: inout Int) -> Int? {
        var k = i, value = 0
        while k < p.count, k - i < 18 {
            let digit = p[k] &- UInt8(ascii: "0")
            guard digit <= 9 else { break }
            value = value * 10 + Int(digit)
            k += 1
        }
        guard k > i, k + 1 < p.count, p[k] == UInt8(ascii: "\r"), p[k + 1] == UInt8(ascii: "\n") else { return nil }
        i = k + 2
        return value
    }

    /// Every other frame: arrays holding other RESP types, inline commands, and all the
    /// errors. Arguments that are not strings come back nil.
    static func parseGeneral(_ buffer: inout ByteBuffer, limits: RESPLimits) throws -> [[UInt8]?]? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        var cursor = buffer.readerIndex
        let result: [[UInt8]?]
        if first == UInt8(ascii: "*") {
            guard let value = try parseValue(buffer, &cursor, depth: 0, limits: limits) else {
                guard buffer.readableBytes <= limits.maxRequestBytes else {
                    throw RESPProtocolError(message: "request larger than \(limits.maxRequestBytes) bytes")
                }
                return nil
            }
            guard case .array(let items) = value else {
                throw RESPProtocolError(message: "expected an array of bulk strings")
            }
            result = items.map(\.bytes)
        } else {
            guard let line = try readLine(buffer, &cursor, max: limits.maxInlineBytes) else {
                guard buffer.readableBytes <= limits.maxInlineBytes else {
                    throw RESPProtocolError(message: "inline request longer than \(limits.maxInlineBytes) bytes")
                }
                return nil
            }
            result = try splitInline(line)
        }
        guard cursor - buffer.readerIndex <= limits.maxRequestBytes else {
            throw RESPProtocolError(message: "request larger than \(limits.maxRequestBytes) bytes")
        }
        buffer.moveReaderIndex(to: cursor)
        return result
    }

    /// A CRLF-terminated line (without it), or nil if the buffer ends first.
    static func readLine(_ buffer: ByteBuffer, _ cursor: inout Int, max: Int) throws -> [UInt8]? {
        let end = buffer.writerIndex
        var i = cursor
        while i < end {
            if buffer.getInteger(at: i, as: UInt8.self) == UInt8(ascii: "\n") {
                var lineEnd = i
                if lineEnd > cursor, buffer.getInteger(at: lineEnd - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                    lineEnd -= 1
                }
                let line = buffer.getBytes(at: cursor, length: lineEnd - cursor) ?? []
                cursor = i + 1
                return line
            }
            i += 1
            if i - cursor > max { throw RESPProtocolError(message: "line longer than \(max) bytes") }
        }
        return nil
    }

    private static func integer(_ line: [UInt8], _ what: String) throws -> Int {
        guard !line.isEmpty, line.count <= 19, let n = Int(String(decoding: line, as: UTF8.self)) else {
            throw RESPProtocolError(message: "invalid \(what)")
        }
        return n
    }

    static func parseValue(
        _ buffer: ByteBuffer, _ cursor: inout Int, depth: Int, limits: RESPLimits
    ) throws -> RESPValue? {
        guard let type = buffer.getInteger(at: cursor, as: UInt8.self) else { return nil }
        var at = cursor + 1
        guard let line = try readLine(buffer, &at, max: 64) else { return nil }
        switch type {
        case UInt8(ascii: "*"):
            let n = try integer(line, "multibulk length")
            guard n <= limits.maxArrayLength else {
                throw RESPProtocolError(message: "array of \(n) elements exceeds the limit of \(limits.maxArrayLength)")
            }
            guard depth < limits.maxNesting else {
                throw RESPProtocolError(message: "arrays nested deeper than \(limits.maxNesting)")
            }
            if n < 0 { cursor = at; return .null }
            var items: [RESPValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n {
                guard let item = try parseValue(buffer, &at, depth: depth + 1, limits: limits) else { return nil }
                items.append(item)
                if at - cursor > limits.maxRequestBytes {
                    throw RESPProtocolError(message: "request larger than \(limits.maxRequestBytes) bytes")
                }
            }
            cursor = at
            return .array(items)
        case UInt8(ascii: "$"):
            let n = try integer(line, "bulk length")
            if n == -1 { cursor = at; return .null }
            guard n >= 0 else { throw RESPProtocolError(message: "invalid bulk length") }
            guard n <= limits.maxRequestBytes else {
                throw RESPProtocolError(
                    message: "bulk string of \(n) bytes exceeds the limit of \(limits.maxRequestBytes)")
            }
            guard buffer.writerIndex - at >= n + 2 else { return nil }
            guard buffer.getInteger(at: at + n, as: UInt8.self) == UInt8(ascii: "\r"),
                  buffer.getInteger(at: at + n + 1, as: UInt8.self) == UInt8(ascii: "\n") else {
                throw RESPProtocolError(message: "bulk string not terminated by CRLF")
            }
            let bytes = buffer.getBytes(at: at, length: n) ?? []
            cursor = at + n + 2
            return .bulkString(bytes)
        case UInt8(ascii: "+"):
            cursor = at
            return .simpleString(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: ":"):
            let n = try integer(line, "integer")
            cursor = at
            return .integer(n)
        default:
            throw RESPProtocolError(message: "expected '$', got '\(printable(type))'")
        }
    }

    private static func printable(_ b: UInt8) -> String {
        (0x21..<0x7F).contains(b) ? String(UnicodeScalar(b)) : String(format: "\\x%02x", b)
    }

    /// Splits an inline command like Redis does: spaces separate arguments; "double" quotes
    /// allow spaces and \n \t \xHH escapes; 'single' quotes are literal.
    static func splitInline(_ line: [UInt8]) throws -> [[UInt8]] {
        var args: [[UInt8]] = []
        var i = 0
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0B || b == 0x0C }
        while true {
            while i < line.count, isSpace(line[i]) { i += 1 }
            if i >= line.count { return args }
            var current: [UInt8] = []
            if line[i] == UInt8(ascii: "\"") {
                i += 1
                while true {
                    guard i < line.count else { throw RESPProtocolError(message: "unbalanced quotes in request") }
                    let c = line[i]
                    if c == UInt8(ascii: "\""), i + 1 == line.count || isSpace(line[i + 1]) { i += 1; break }
                    if c == UInt8(ascii: "\""), !isSpace(line[i + 1]) {
                        throw RESPProtocolError(message: "unbalanced quotes in request")
                    }
                    if c == UInt8(ascii: "\\"), i + 1 < line.count {
                        let e = line[i + 1]
                        if e == UInt8(ascii: "x"), i + 3 < line.count,
                           let v = UInt8(String(decoding: line[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
                            current.append(v); i += 4; continue
                        }
                        switch e {
                        case UInt8(ascii: "n"): current.append(0x0A)
                        case UInt8(ascii: "r"): current.append(0x0D)
                        case UInt8(ascii: "t"): current.append(0x09)
                        default: current.append(e)
                        }
                        i += 2
                        continue
                    }
                    current.append(c)
                    i += 1
                }
            } else if line[i] == UInt8(ascii: "'") {
                i += 1
                while true {
                    guard i < line.count else { throw RESPProtocolError(message: "unbalanced quotes in request") }
                    if line[i] == UInt8(ascii: "'") { i += 1; break }
                    current.append(line[i])
                    i += 1
                }
            } else {
                while i < line.count, !isSpace(line[i]) { current.append(line[i]); i += 1 }
            }
            args.append(current)
        }
    }
}


extension ByteBuffer {
    /// Whether both are views of the same bytes (the same storage and slice of it).
    @inline(__always)
    func hasSameStorage(as other: ByteBuffer) -> Bool {
        withVeryUnsafeBytes { a in
            other.withVeryUnsafeBytes { b in a.baseAddress == b.baseAddress && a.count == b.count }
        }
    }
}
