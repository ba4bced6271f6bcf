import GridMapCore
import GridMapPlanning

/// A command's arguments after its name, with typed accessors whose errors say which
/// argument is wrong and why.
///
/// A view, not a copy: it points at the request's bytes where they lie (usually the
/// connection's input buffer) and at the request's spans, so making one per request costs
/// no allocation and no reference counting. The pointers are valid only while the command
/// runs: `RESPRequest.withArguments` makes the view inside the buffers' access scope, and a
/// command reads its arguments and returns a reply without keeping the view.
struct Arguments {
    let command: String
    private let storage: UnsafeRawBufferPointer
    private let spans: UnsafeBufferPointer<(start: Int, length: Int)>

    init(command: String, storage: UnsafeRawBufferPointer, spans: UnsafeBufferPointer<(start: Int, length: Int)>) {
        (self.command, self.storage, self.spans) = (command, storage, spans)
    }

    var count: Int { spans.count }

    /// Calls `body` with argument `i`'s bytes, or nil when it is missing or not a string.
    @inline(__always)
    func withBytes<R>(_ i: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        guard i < spans.count, spans[i].length >= 0 else { return try body(nil) }
        let (start, length) = spans[i]
        return try body(UnsafeRawBufferPointer(rebasing: storage[start..<(start + length)]))
    }

    /// Argument `i`'s bytes (a password, PING's message), copied.
    func bytes(_ i: Int) -> [UInt8]? { withBytes(i) { $0.map(Array.init) } }

    func text(_ i: Int) throws -> String {
        try withBytes(i) { raw in
            guard let raw else { throw CommandError("argument \(i + 1) of '\(command)' must be a string") }
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            // ASCII is valid UTF-8: skip the (generic, slower) validating initializer.
            if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            guard let s = String(validating: bytes, as: UTF8.self) else {
                throw CommandError("argument \(i + 1) of '\(command)' is not valid UTF-8")
            }
            return s
        }
    }

    /// A number, read as every skin reads one (`Parameter`), straight from the bytes.
    @inline(__always)
    func number(_ i: Int, _ what: String) throws -> Double {
        if let v = try withBytes(i, { try $0.map { try Parameter.number(bytes: $0, what) } }) { return v }
        _ = try text(i)
        throw CommandError("argument \(i + 1) of '\(command)' must be a string")
    }

    /// A whole number, read as every skin reads one; its range is the request's to check.
    func integer(_ i: Int, _ what: String) throws -> Int { try Parameter.integer(try text(i), what) }

    /// `KEY value` options from `start` on, keys case-insensitive; unknown keys are errors.
    func options(from start: Int, allowed: [String]) throws -> [String: Int] {
        var found: [String: Int] = [:]
        var i = start
        while i < count {
            let key = try text(i).uppercased()
            guard allowed.contains(key) else {
                throw CommandError(
                    "unknown option '\(key)' for '\(command)'; expected \(allowed.sorted().joined(separator: ", "))",
                    code: "ERR syntax error:")
            }
            guard i + 1 < count else {
                throw CommandError("option \(key) of '\(command)' needs a value", code: "ERR syntax error:")
            }
            found[key] = i + 1
            i += 2
        }
        return found
    }

    /// The values of every `key value` pair of a repeatable option from `start` on (after
    /// `options` checked the pairs), in order.
    func repeated(_ key: String, from start: Int) throws -> [String] {
        try stride(from: start, to: count - 1, by: 2).filter { try text($0).uppercased() == key }
            .map { try text($0 + 1) }
    }
}
