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
    /// This connection's command statistics since the last merge into `stats`.
    var localStats: [String: ServerStats.Command] = [:]

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
/// argument is wrong and why.
struct Arguments {
    let command: String
    let values: [RESPValue]

    var count: Int { values.count }

    func text(_ i: Int) throws -> String {
        guard i < values.count, let bytes = values[i].bytes else { throw CommandError("argument \(i + 1) of '\(command)' must be a string") }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw CommandError("argument \(i + 1) of '\(command)' is not valid UTF-8")
        }
        return s
    }

    func number(_ i: Int, _ what: String) throws -> Double {
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
        while i < values.count {
            let key = try text(i).uppercased()
            guard allowed.contains(key) else {
                throw CommandError("unknown option '\(key)' for '\(command)'; expected \(allowed.sorted().joined(separator: ", "))", code: "ERR syntax error:")
            }
            guard i + 1 < values.count else { throw CommandError("option \(key) of '\(command)' needs a value", code: "ERR syntax error:") }
            found[key] = i + 1
            i += 2
        }
        return found
    }
}
