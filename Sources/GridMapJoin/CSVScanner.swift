#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import CGridMapSupport
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// RFC 4180 records read straight from bytes, for bulk files of millions of rows.
///
/// One automaton decides where records and fields end, used both by the reader that cuts the
/// input into chunks and by the workers that parse each chunk, so the two never disagree.
/// A quote opens a quoted field only at the start of a field; inside one, `""` is a quote and a
/// newline is data. Bad quoting (a quote inside an unquoted field, text after a closing quote, a
/// quoted field never closed) is reported as the record's `problem`, and the record still ends
/// at a newline the automaton can find, so one bad row costs that row only. A record ends at
/// LF or CRLF.
package struct CSVScanner {
    package enum Problem: UInt8, Sendable {
        case none, strayQuote, textAfterQuote, unterminated

        var reason: String {
            switch self {
            case .none: ""
            case .strayQuote: "malformed CSV: a quote inside an unquoted field"
            case .textAfterQuote: "malformed CSV: text after a closing quote"
            case .unterminated: "malformed CSV: a quoted field is never closed"
            }
        }
    }

    /// One record: its bytes are `start..<end` (no line terminator), the next one starts at
    /// `next`, and it spans `newlines` line breaks (its own terminator included).
    package struct Record {
        var start = 0, end = 0, next = 0, newlines = 0
        var problem = Problem.none
    }

    /// Field bounds of the last record scanned: field k is `starts[k]..<ends[k]`, quotes included.
    private(set) var starts = [Int64](repeating: 0, count: 32), ends = [Int64](repeating: 0, count: 32)
    private(set) var fieldCount = 0

    package static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n")
    package static let carriageReturn = UInt8(ascii: "\r")

    /// The record starting at `start`, or nil when `bytes` ends before it does and more input may
    /// follow (`atEnd` false). At the end of input a last record without a newline is complete.
    /// (The loop is C, `gridmap_csv_scan_record`, which skips ordinary bytes 16 at a time.)
    package mutating func record(_ bytes: UnsafeRawBufferPointer, from start: Int, atEnd: Bool) -> Record? {
        let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var out = gridmap_csv_record()
        while true {
            let cap = Int32(starts.count)
            let found = starts.withUnsafeMutableBufferPointer { s in
                ends.withUnsafeMutableBufferPointer { e in
                    gridmap_csv_scan_record(p, Int64(bytes.count), Int64(start), atEnd ? 1 : 0,
                                            s.baseAddress!, e.baseAddress!, cap, &out)
                }
            }
            guard found == 1 else { return nil }
            guard out.fields > cap else { break }
            // More fields than room: grow and scan the record again (rare: wide files, once).
            starts = [Int64](repeating: 0, count: Int(out.fields) * 2)
            ends = starts
        }
        fieldCount = Int(out.fields)
        return Record(start: start, end: Int(out.end), next: Int(out.next), newlines: Int(out.newlines),
                      problem: Problem(rawValue: UInt8(out.problem)) ?? .none)
    }

    /// Where the last complete record in `bytes` ends (the start of the next), scanning from
    /// offset 0, which must be a record's start; nil when no record ends in `bytes`.
    ///
    /// Only quotes can move record ends, so this jumps from quote to quote (`memchr`): a quote
    /// at a field's start opens a quoted field, and inside one the next lone quote closes it.
    /// The last newline outside every quoted field is the end sought; it is looked for
    /// backwards from the block's end, skipping the quoted stretches. Same rules as `record`.
    package func lastRecordEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        let n = bytes.count
        var quoted: [(open: Int, close: Int)] = []  // quoted stretches, close exclusive
        var i = 0, open = -1
        while i < n, let hit = memchr(base + i, Int32(Self.quote), n - i) {
            let q = base.distance(to: UnsafeRawPointer(hit))
            if open < 0 {
                if q == 0 || bytes[q - 1] == Self.comma || bytes[q - 1] == Self.newline { open = q }
                i = q + 1
            } else if q + 1 < n && bytes[q + 1] == Self.quote {
                i = q + 2
            } else if q + 1 == n {
                break  // `"` or `""`: undecided, so the field counts as still open
            } else {
                quoted.append((open, q + 1))
                open = -1
                i = q + 1
            }
        }
        var end = open >= 0 ? open : n
        while true {
            let floor = quoted.last?.close ?? 0
            var k = end - 1
            while k >= floor && bytes[k] != Self.newline { k -= 1 }
            if k >= floor { return k + 1 }
            guard let last = quoted.popLast() else { return nil }
            end = last.open
        }
    }

    /// Field k's text: without its quotes, `""` read as `"`.
    package func field(_ k: Int, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Int(starts[k])..<Int(ends[k])])
    }

    /// Field k's value as a string: unquoted, `""` read as `"`, invalid UTF-8 repaired.
    package func string(_ k: Int, in bytes: UnsafeRawBufferPointer) -> String {
        CSVScanner.unquoted(field(k, in: bytes))
    }

    package static func unquoted(_ raw: UnsafeRawBufferPointer) -> String {
        guard raw.count >= 2, raw.first == quote, raw.last == quote else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 1
        while i < raw.count - 1 {
            out.append(raw[i])
            i += raw[i] == quote && raw[i + 1] == quote ? 2 : 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Field k with its quotes removed but `""` kept (what a number or a date can be read from).
    package func bare(_ k: Int, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var s = Int(starts[k]), e = Int(ends[k])
        if e - s >= 2, bytes[s] == CSVScanner.quote, bytes[e - 1] == CSVScanner.quote { s += 1; e -= 1 }
        while s < e, bytes[s] == UInt8(ascii: " ") || bytes[s] == UInt8(ascii: "\t") { s += 1 }
        while e > s, bytes[e - 1] == UInt8(ascii: " ") || bytes[e - 1] == UInt8(ascii: "\t") { e -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[s..<e])
    }

    /// Appends `text` as one CSV field, quoted only when it must be.
    package static func appendField(_ text: some Collection<UInt8>, to out: inout [UInt8]) {
        guard text.contains(where: { $0 == comma || $0 == quote || $0 == newline || $0 == carriageReturn }) else {
            out.append(contentsOf: text)
            return
        }
        out.append(quote)
        for b in text {
            if b == quote { out.append(quote) }
            out.append(b)
        }
        out.append(quote)
    }
}
