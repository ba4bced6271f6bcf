import Dispatch
import Foundation

/// Byte strings stored back to back in one array. Reading one from an array of arrays
/// retains and releases the inner array; here it is a range of one buffer, which is what
/// the per-reply fragments (LOCATE tails, NEARBY resources) need on the hot path.
package struct PackedBytes: Sendable {
    private let bytes: [UInt8]
    /// Item i is `bytes[ends[i] - length ..< ends[i]]`, its start being the previous end.
    private let ends: [Int]

    /// Item i is `item(i)`, appended as it is made, so the items never all exist as arrays
    /// of their own (on the 100× data that would be half a million of them). Large sets are
    /// made in chunks on every core (`item` is called from several threads at once), then
    /// joined.
    package init(count: Int, _ item: @Sendable (Int) -> [UInt8]) {
        let parts = Parallel.map(count, parts: Parallel.parts(count, grain: 1024)) { _, range in
            var bytes: [UInt8] = [], ends: [Int] = []
            for i in range {
                bytes.append(contentsOf: item(i))
                ends.append(bytes.count)
            }
            return (bytes: bytes, ends: ends)
        }
        var bytes = parts[0].bytes, ends = parts[0].ends
        bytes.reserveCapacity(parts.reduce(0) { $0 + $1.bytes.count })
        ends.reserveCapacity(count)
        for part in parts.dropFirst() {
            let base = bytes.count
            bytes.append(contentsOf: part.bytes)
            ends.append(contentsOf: part.ends.lazy.map { $0 + base })
        }
        (self.bytes, self.ends) = (bytes, ends)
    }

    package var count: Int { ends.count }

    package func write(to w: inout BlobWriter) {
        w.array(bytes)
        w.array(ends)
    }

    package init(reading r: inout BlobReader) throws {
        bytes = try r.array(of: UInt8.self)
        ends = try r.array(of: Int.self)
        var previous = 0
        for e in ends {
            guard e >= previous, e <= bytes.count else { throw BlobError(description: "bad packed bytes") }
            previous = e
        }
    }

    private func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }

    package subscript(i: Int) -> ArraySlice<UInt8> { bytes[range(i)] }

    @inline(__always)
    package func append(_ i: Int, to out: inout [UInt8]) {
        let r = range(i)
        bytes.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[r])) }
    }
}
