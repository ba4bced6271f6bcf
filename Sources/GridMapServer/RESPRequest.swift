import NIOCore

/// One decoded request: its arguments (the command name first) as byte ranges of `storage`.
///
/// For the usual frame, an array of bulk strings, `storage` is the connection's input buffer
/// itself (a `ByteBuffer` copy shares its bytes), so decoding copies and allocates nothing;
/// a connection reuses one `RESPRequest`, keeping the capacity of `bounds`. Inline commands
/// and unusual frames are copied into a buffer of their own.
public struct RESPRequest: Sendable {
    var storage = ByteBuffer()
    /// Each argument's bytes in `storage`; nil for an element that is not a string (a
    /// nested array or a null), which a command refuses as an argument.
    var bounds: [Range<Int>?] = []

    public init() {}

    /// Builds a request from whole arguments (tests, and the decoder's slow path).
    public init(_ arguments: [[UInt8]?]) {
        self.init()
        set(arguments)
    }

    mutating func set(_ arguments: [[UInt8]?]) {
        storage = ByteBuffer()
        storage.reserveCapacity(arguments.reduce(0) { $0 + ($1?.count ?? 0) })
        bounds.removeAll(keepingCapacity: true)
        for argument in arguments {
            if let argument {
                let start = storage.writerIndex
                storage.writeBytes(argument)
                bounds.append(start..<storage.writerIndex)
            } else {
                bounds.append(nil)
            }
        }
    }

    public var count: Int { bounds.count }
    public var isEmpty: Bool { bounds.isEmpty }

    /// Calls `body` with argument `i`'s bytes, or nil when it is not a string.
    @inline(__always)
    func withBytes<R>(_ i: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        guard i < bounds.count, let range = bounds[i] else { return try body(nil) }
        return try storage.withVeryUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[range]))
        }
    }

    /// Argument `i`'s bytes, copied; nil when it is not a string.
    public func bytes(_ i: Int) -> [UInt8]? { withBytes(i) { $0.map(Array.init) } }

    /// Argument `i` as text (invalid UTF-8 repaired), for messages and tests.
    public func text(_ i: Int) -> String? { withBytes(i) { $0.map { String(decoding: $0, as: UTF8.self) } } }
}
