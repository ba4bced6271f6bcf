/// A flat binary form for data made once and read many times (a version's prepared lookup):
/// integers and arrays of plain values, little-endian, each array preceded by its count.
package struct BlobWriter {
    package private(set) var bytes: [UInt8] = []

    package mutating func int(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { bytes.append(contentsOf: $0) } }

    package mutating func array<T: BitwiseCopyable>(_ values: [T]) {
        int(values.count)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    package init(bytes: [UInt8] = []) {
        self.bytes = bytes
    }
}

package struct BlobError: Error, CustomStringConvertible {
    package let description: String
}

/// Reads what `BlobWriter` wrote, checking every length against the bytes there are. Reads
/// straight from the bytes it is given (a blob still inside SQLite), which must outlive it.
package struct BlobReader {
    private let bytes: UnsafeRawBufferPointer
    private var at = 0

    package init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    package var isAtEnd: Bool { at == bytes.count }

    package mutating func int() throws -> Int {
        guard at + 8 <= bytes.count else { throw BlobError(description: "truncated at byte \(at)") }
        let v = bytes.loadUnaligned(fromByteOffset: at, as: Int64.self)
        at += 8
        return Int(Int64(littleEndian: v))
    }

    package mutating func array<T: BitwiseCopyable>(of: T.Type) throws -> [T] {
        let count = try int(), size = MemoryLayout<T>.stride
        guard count >= 0, count <= (bytes.count - at) / max(size, 1) else {
            throw BlobError(description: "bad array length \(count) at byte \(at)")
        }
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: bytes[at..<at + count * size]))
            initialized = count
        }
        at += count * size
        return values
    }
}
