/// Byte strings stored back to back in one array. Reading one from an array of arrays
/// retains and releases the inner array; here it is a range of one buffer, which is what
/// the per-reply fragments (LOCATE tails, NEARBY resources) need on the hot path.
struct PackedBytes: Sendable {
    private let bytes: [UInt8]
    /// Item i is `bytes[ends[i] - length ..< ends[i]]`, its start being the previous end.
    private let ends: [Int]

    /// Item i is `item(i)`, made one at a time and appended, so the items never all exist
    /// as arrays of their own (on the 100× data that would be half a million of them).
    init<Item: Collection<UInt8>>(count: Int, _ item: (Int) -> Item) {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        ends.reserveCapacity(count)
        for i in 0..<count {
            bytes.append(contentsOf: item(i))
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
