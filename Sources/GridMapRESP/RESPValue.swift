import Dispatch
import Synchronization
import NIOCore

/// Work a command hands to the thread pool (see `RESPValue.pending`).
public struct PendingWork: Sendable {
    /// Work for the thread pool.
    public let run: @Sendable () -> RESPValue
    /// Work that awaits (a publish queued for the watcher): run as a task, holding no thread.
    public let awaiting: (@Sendable () async -> RESPValue)?
    /// Work started on the thread pool that answers later, from any thread, through the
    /// callback it is given (a case write waiting for its group's commit): no thread and no
    /// task waits meanwhile.
    public let handing: (@Sendable (@escaping @Sendable (RESPValue) -> Void) -> Void)?
    public init(_ run: @escaping @Sendable () -> RESPValue) { (self.run, awaiting, handing) = (run, nil, nil) }
    public init(handing work: @escaping @Sendable (@escaping @Sendable (RESPValue) -> Void) -> Void) {
        (awaiting, handing) = (nil, work)
        // Where no event loop runs it (`ServerPath`), it is waited for on the caller's thread.
        run = {
            let result = Mutex<RESPValue?>(nil)
            let done = DispatchSemaphore(value: 0)
            work { value in
                result.withLock { $0 = value }
                done.signal()
            }
            done.wait()
            return result.withLock { $0! }
        }
    }
    public init(awaiting work: @escaping @Sendable () async -> RESPValue) {
        (awaiting, handing) = (work, nil)
        // Where no event loop runs it (`ServerPath`), it is waited for on the caller's thread.
        run = {
            let result = Mutex<RESPValue?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                let value = await work()
                result.withLock { $0 = value }
                done.signal()
            }
            done.wait()
            return result.withLock { $0! }
        }
    }
}

/// A RESP value: what requests are made of and what replies carry. RESP3-only kinds
/// (map, null, double, boolean) are written in RESP2 as their customary fallbacks.
public enum RESPValue: Equatable, Sendable {
    case simpleString(String)
    case error(String)
    case integer(Int)
    case bulkString([UInt8])
    /// A bulk string held as text: replies are mostly JSON built as `String`, written to the
    /// socket buffer without an intermediate byte array.
    case bulkText(String)
    case array([RESPValue])
    /// RESP2 `$-1` / RESP3 `_`.
    case null
    case map([(RESPValue, RESPValue)])
    case double(Double)
    case boolean(Bool)
    /// RESP3 push `>` (an array in RESP2): subscription confirmations and messages.
    case push([RESPValue])
    /// Several replies to one request (SUBSCRIBE a b confirms each channel).
    case several([RESPValue])
    /// Work that must not hold the event loop (store access, builds, long geometry work):
    /// the connection runs it on the thread pool, writes the reply it returns, and only then
    /// reads its next request. Never written as such.
    case pending(PendingWork)

    public static func bulk(_ s: String) -> RESPValue { .bulkText(s) }
    public static let ok = RESPValue.simpleString("OK")

    /// The argument as text, for bulk and simple strings and integers.
    public var text: String? {
        switch self {
        case .bulkString(let b): return String(decoding: b, as: UTF8.self)
        case .bulkText(let s): return s
        case .simpleString(let s): return s
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let b): return b
        case .bulkText(let s): return Array(s.utf8)
        case .simpleString(let s): return Array(s.utf8)
        case .integer(let i): return Array(String(i).utf8)
        default: return nil
        }
    }

    public static func == (a: RESPValue, b: RESPValue) -> Bool {
        switch (a, b) {
        case (.simpleString(let x), .simpleString(let y)), (.error(let x), .error(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.bulkString, .bulkString), (.bulkText, .bulkText), (.bulkString, .bulkText), (.bulkText, .bulkString):
            return a.bytes == b.bytes
        case (.array(let x), .array(let y)): return x == y
        case (.null, .null): return true
        case (.map(let x), .map(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.double(let x), .double(let y)): return x == y
        case (.boolean(let x), .boolean(let y)): return x == y
        case (.push(let x), .push(let y)), (.several(let x), .several(let y)): return x == y
        default: return false
        }
    }
}

extension ByteBuffer {
    /// `$<count>\r\n<bytes>\r\n` in one write: the hot path of every JSON reply.
    mutating func writeBulk(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeBulk($0) }
    }

    mutating func writeBulk(_ body: UnsafeRawBufferPointer) {
        _ = writeWithUnsafeMutableBytes(minimumWritableBytes: body.count + 32) { out in
            var header: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for "$" + 20 digits + CRLF
            return withUnsafeMutableBytes(of: &header) { h in
                var n = body.count, k = h.count
                h[k - 1] = UInt8(ascii: "\n"); h[k - 2] = UInt8(ascii: "\r"); k -= 2
                repeat { k -= 1; h[k] = UInt8(ascii: "0") + UInt8(n % 10); n /= 10 } while n > 0
                k -= 1; h[k] = UInt8(ascii: "$")
                let headerLength = h.count - k
                out.baseAddress!.copyMemory(from: h.baseAddress! + k, byteCount: headerLength)
                if body.count > 0 {
                    (out.baseAddress! + headerLength).copyMemory(from: body.baseAddress!, byteCount: body.count)
                }
                out[headerLength + body.count] = UInt8(ascii: "\r")
                out[headerLength + body.count + 1] = UInt8(ascii: "\n")
                return headerLength + body.count + 2
            }
        }
    }

    /// `<prefix><text>\r\n` in one write. NIO's string writes cost a dynamic exclusivity
    /// check each (its module is built with them), about as much as the rest of a PING.
    mutating func writeLine(_ prefix: UInt8, _ text: String) {
        var text = text
        text.withUTF8 { body in
            _ = writeWithUnsafeMutableBytes(minimumWritableBytes: body.count + 3) { out in
                out[0] = prefix
                if body.count > 0 { (out.baseAddress! + 1).copyMemory(from: body.baseAddress!, byteCount: body.count) }
                out[body.count + 1] = UInt8(ascii: "\r")
                out[body.count + 2] = UInt8(ascii: "\n")
                return body.count + 3
            }
        }
    }

    /// Writes a reply in RESP2 or RESP3.
    public mutating func writeRESP(_ value: RESPValue, protocol version: Int) {
        switch value {
        case .simpleString(let s):
            writeLine(UInt8(ascii: "+"), s)
        case .error(let s):
            // A newline would end the frame early: errors are one line.
            writeLine(
                UInt8(ascii: "-"), s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            )
        case .integer(let i):
            writeLine(UInt8(ascii: ":"), String(i))
        case .bulkString(let b):
            writeBulk(b)
        case .bulkText(var s):
            s.withUTF8 { writeBulk(UnsafeRawBufferPointer($0)) }
        case .array(let items):
            writeLine(UInt8(ascii: "*"), String(items.count))
            for item in items { writeRESP(item, protocol: version) }
        case .null:
            if version >= 3 { writeStaticString("_\r\n") } else { writeStaticString("$-1\r\n") }
        case .map(let pairs):
            if version >= 3 {
                writeStaticString("%"); writeString(String(pairs.count)); writeStaticString("\r\n")
            } else {
                writeStaticString("*"); writeString(String(pairs.count * 2)); writeStaticString("\r\n")
            }
            for (k, v) in pairs { writeRESP(k, protocol: version); writeRESP(v, protocol: version) }
        case .double(let d):
            if version >= 3 { writeStaticString(","); writeString("\(d)"); writeStaticString("\r\n") }
            else { writeRESP(.bulk("\(d)"), protocol: version) }
        case .boolean(let b):
            if version >= 3 {
                writeStaticString(b ? "#t\r\n" : "#f\r\n")
            } else {
                writeRESP(.integer(b ? 1 : 0), protocol: version)
            }
        case .push(let items):
            writeLine(UInt8(ascii: version >= 3 ? ">" : "*"), String(items.count))
            for item in items { writeRESP(item, protocol: version) }
        case .several(let replies):
            for reply in replies { writeRESP(reply, protocol: version) }
        case .pending:
            writeRESP(.error("ERR internal error: unfinished work written as a reply"), protocol: version)
        }
    }
}
