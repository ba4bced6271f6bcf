import NIOCore

/// One decoded request: its arguments (the command name first) as byte ranges of `storage`.
///
/// For the usual frame, an array of bulk strings, `storage` is the connection's input buffer
/// itself (a `ByteBuffer` copy shares its bytes), so decoding copies and allocates nothing;
/// a connection reuses one `RESPRequest`, keeping the capacity of `spans`. Inline commands
/// and unusual frames are copied into a buffer of their own.
public struct RESPRequest: Sendable {
    var storage = ByteBuffer()
    /// Each argument's bytes in `storage`, in the first `count` entries (the rest are kept
    /// from longer requests, so refilling allocates nothing); a negative length marks an
    /// element that is not a string (a nested array or a null), which commands refuse.
    private var spans: [(start: Int, length: Int)] = []
    public private(set) var count = 0

    public init() {}

    /// Holds copies of whole arguments: the decoder's slow path (inline commands, unusual frames).
    mutating func set(_ arguments: [[UInt8]?]) {
        storage = ByteBuffer()
        storage.reserveCapacity(arguments.reduce(0) { $0 + ($1?.count ?? 0) })
        removeAll()
        for argument in arguments {
            let start = storage.writerIndex
            if let argument { storage.writeBytes(argument) }
            append(start: start, length: argument?.count ?? -1)
        }
    }

    @inline(__always)
    mutating func removeAll() { count = 0 }

    @inline(__always)
    mutating func append(start: Int, length: Int) {
        if count < spans.count { spans[count] = (start, length) } else { spans.append((start, length)) }
        count += 1
    }

    public var isEmpty: Bool { count == 0 }

    /// Calls `body` with argument `i`'s bytes, or nil when it is not a string.
    @inline(__always)
    func withBytes<R>(_ i: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        guard i < count, spans[i].length >= 0 else { return try body(nil) }
        let (start, length) = spans[i]
        return try storage.withVeryUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[start..<(start + length)]))
        }
    }

    /// Calls `body` with a view of the arguments after the command name (see `Arguments`
    /// for why the view must not outlive the call).
    func withArguments<R>(command: String, _ body: (Arguments) throws -> R) rethrows -> R {
        try storage.withVeryUnsafeBytes { all in
            try spans.withUnsafeBufferPointer { spans in
                let arguments =
                    count > 1
                    ? UnsafeBufferPointer(rebasing: spans[1..<count]) : UnsafeBufferPointer(start: nil, count: 0)
                return try body(Arguments(command: command, storage: all, spans: arguments))
            }
        }
    }

    /// Argument `i`'s bytes, copied; nil when it is not a string.
    public func bytes(_ i: Int) -> [UInt8]? { withBytes(i) { $0.map(Array.init) } }

    /// Argument `i` as text (invalid UTF-8 repaired), for messages and tests.
    public func text(_ i: Int) -> String? { withBytes(i) { $0.map { String(decoding: $0, as: UTF8.self) } } }
}
