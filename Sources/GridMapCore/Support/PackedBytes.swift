/// Byte strings stored back to back in one array. Reading one from an array of arrays
/// retains and releases the inner array; here it is a range of one buffer, which is what
/// the per-reply fragments (LOCATE tails, NEARBY resources) need on the hot path.
struct PackedBytes: Sendable {
    private let bytes: [UInt8]
    /// Item i is `bytes[ends[i] - length ..< ends[i]]`, its start being the previous end.
    private let ends: [Int]

    init(_ items: [[UInt8]]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(items.reduce(0) { $0 + $1.count })
        var ends: [Int] = []
        ends.reserveCapacity(items.count)
        for item in items {
            bytes.append(contentsOf: item)
            ends.append(bytes.count)
        }
        (self.bytes, self.ends) = (bytes, ends)
    }

    var count: Int { ends.count }

    private func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }

    subscript(i: Int) -> ArraySlice<UInt8> { bytes[range(i)] }

    @inline(__always)
    func append(_ i: Int, to out: inout [UInt8]) {
        let r = range(i)
        bytes.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[r])) }
    }
}
