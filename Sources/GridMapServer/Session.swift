import GridMapCore

/// One connection's state. Lives on the connection's event loop only, which is also where
/// its GEOS and PROJ handles are made and used (they are per-thread by design).
final class Session {
    let store: SnapshotStore
    let config: ServerConfig
    let stats: ServerStats
    var role: Role
    var protocolVersion = 2
    var clientName: String?
    var shouldClose = false
    /// This connection's command statistics since the last merge into `stats`, by
    /// `CommandTable.specs` index.
    var localStats = ServerStats.Counts()
    /// When the last command of this turn finished (see `CommandTable.execute`).
    var clock: UInt64 = 0
    /// Reused for replies built as bytes (LOCATE's JSON), so they allocate nothing.
    var scratch: [UInt8] = []

    private var pinned: Snapshot?

    /// The version this turn of requests reads: taken from the store (under its lock) once
    /// per turn rather than per request, and let go at the end of the turn, so an idle
    /// connection keeps no old version alive.
    var snapshot: Snapshot {
        if let pinned { return pinned }
        let current = store.current
        pinned = current
        return current
    }

    func endTurn() { pinned = nil }

    private var _converter: CoordinateConverter?
    private var _measurer: MetricMeasurer?

    init(store: SnapshotStore, config: ServerConfig, stats: ServerStats) {
        self.store = store
        self.config = config
        self.stats = stats
        role = config.initialRole
    }

    var converter: CoordinateConverter {
        if let c = _converter { return c }
        let c = CoordinateConverter()
        _converter = c
        return c
    }

    private var _geocoder: Geocoder?

    /// This connection's geocoder (its own SQLite connection), for the snapshot's library;
    /// replaced when a RELOAD has published another version.
    func geocoder(for snapshot: Snapshot) throws -> Geocoder {
        let library = try snapshot.addressLibrary()
        if let g = _geocoder, g.library === library { return g }
        let g = try Geocoder(library: library)
        _geocoder = g
        return g
    }

    func measurer() throws -> MetricMeasurer {
        if let m = _measurer { return m }
        let m = try MetricMeasurer()
        _measurer = m
        return m
    }
}

/// A refused command: becomes `-<code> <message>`.
struct CommandError: Error {
    let code: String
    let message: String
    init(_ message: String, code: String = "ERR") { self.code = code; self.message = message }
    var reply: RESPValue { .error("\(code) \(message)") }
}

/// A command's arguments after its name, with typed accessors whose errors say which
/// argument is wrong and why. They read the request's bytes where they lie.
struct Arguments {
    let command: String
    let request: RESPRequest

    var count: Int { request.count - 1 }

    /// Argument `i`'s bytes (a password, PING's message), copied.
    func bytes(_ i: Int) -> [UInt8]? { request.bytes(i + 1) }

    func text(_ i: Int) throws -> String {
        try request.withBytes(i + 1) { raw in
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

    func number(_ i: Int, _ what: String) throws -> Double {
        if let v = request.withBytes(i + 1, { $0.flatMap(exactDecimal) }) { return v }
        let t = try text(i)
        guard let v = Double(t), v.isFinite else { throw CommandError("\(what) '\(t.prefix(40))' is not a number") }
        return v
    }

    func integer(_ i: Int, _ what: String, in range: ClosedRange<Int>) throws -> Int {
        let t = try text(i)
        guard let v = Int(t), range.contains(v) else {
            throw CommandError("\(what) must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(t.prefix(40))'")
        }
        return v
    }

    /// `KEY value` options from `start` on, keys case-insensitive; unknown keys are errors.
    func options(from start: Int, allowed: [String]) throws -> [String: Int] {
        var found: [String: Int] = [:]
        var i = start
        while i < count {
            let key = try text(i).uppercased()
            guard allowed.contains(key) else {
                throw CommandError("unknown option '\(key)' for '\(command)'; expected \(allowed.sorted().joined(separator: ", "))", code: "ERR syntax error:")
            }
            guard i + 1 < count else { throw CommandError("option \(key) of '\(command)' needs a value", code: "ERR syntax error:") }
            found[key] = i + 1
            i += 2
        }
        return found
    }
}
