#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// Reads a CSV file descriptor as chunks of whole records, for `BulkJoin`. Not thread-safe:
/// the join's reading thread owns it.
package struct BlockReader {
    package struct Header {
        /// The header record as written (a UTF-8 byte order mark removed), without its line end.
        let raw: [UInt8]
        let fields: [String]
        let crlf: Bool
        /// Line breaks it spans (1 unless a quoted name holds one).
        let newlines: Int
    }

    private let fd: Int32
    /// Bytes read ahead, and the longest record accepted (see `BulkJoin.maxRecordBytes`).
    private let block: Int, maxRecord: Int
    private let pending = Bytes()
    private var eof = false
    private var scanner = CSVScanner()

    package init(fd: Int32, block: Int = BulkJoin.blockBytes, maxRecord: Int = BulkJoin.maxRecordBytes) {
        self.fd = fd
        self.block = block
        self.maxRecord = maxRecord
    }

    /// The first record, which names the columns.
    package mutating func header() throws -> Header {
        try fill(to: block)
        if pending.count >= 3, pending[0] == 0xEF, pending[1] == 0xBB, pending[2] == 0xBF { pending.drop(3) }
        while true {
            if let r = pending.withBytes({ scanner.record($0, from: 0, atEnd: eof) }) {
                guard r.end > r.start || r.next > 0 else {
                    throw JoinError("the input is empty: expected a header line")
                }
                if r.problem != .none { throw JoinError("the header line is not valid CSV: \(r.problem.reason)") }
                let header = pending.withBytes { bytes in
                    Header(raw: Array(bytes[r.start..<r.end]),
                           fields: (0..<scanner.fieldCount).map { scanner.string($0, in: bytes) },
                           crlf: r.end < r.next - 1, newlines: r.newlines)
                }
                pending.drop(r.next)
                return header
            }
            guard pending.count < maxRecord else {
                throw JoinError("the header line is longer than \(maxRecord >> 20) MiB")
            }
            try fill(to: pending.count * 2)
        }
    }

    /// The next chunk of whole records and the input bytes it covers; nil at the end.
    package mutating func nextChunk() throws -> (chunk: [UInt8], consumed: Int64)? {
        try fill(to: block)
        guard pending.count > 0 else { return nil }
        var cut: Int? = eof ? pending.count : pending.withBytes { scanner.lastRecordEnd($0) }
        while cut == nil {
            if pending.count >= maxRecord {
                // No record ends in 16 MiB: a quote was never closed. Its first line goes to the
                // workers alone (they reject it as unterminated) and reading resumes after it.
                cut = pending.withBytes { b in b.firstIndex(of: CSVScanner.newline).map { $0 + 1 } ?? b.count }
                break
            }
            try fill(to: pending.count * 2)
            cut = eof ? pending.count : pending.withBytes { scanner.lastRecordEnd($0) }
        }
        let chunk = pending.withBytes { Array($0[0..<cut!]) }
        pending.drop(cut!)
        return (chunk, Int64(cut!))
    }

    /// Reads until `target` bytes are pending or the input ends.
    private mutating func fill(to target: Int) throws {
        pending.reserve(target)
        while !eof && pending.count < target {
            let n = pending.appending { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw JoinError("cannot read the input: \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true }
        }
    }

    /// A growable byte buffer read into directly (no copy through an array).
    private final class Bytes {
        private var base = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        private(set) var count = 0

        deinit { base.deallocate() }

        subscript(i: Int) -> UInt8 { base[i] }

        func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
            try body(UnsafeRawBufferPointer(rebasing: base[0..<count]))
        }

        func reserve(_ capacity: Int) {
            guard capacity > base.count else { return }
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
            grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: base[0..<count]))
            base.deallocate()
            base = grown
        }

        /// Lets `read` fill the free space; counts what it wrote.
        func appending(_ read: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
            let n = read(UnsafeMutableRawBufferPointer(rebasing: base[count...]))
            if n > 0 { count += n }
            return n
        }

        func drop(_ n: Int) {
            if n < count { base.baseAddress!.copyMemory(from: base.baseAddress! + n, byteCount: count - n) }
            count -= n
        }
    }
}
