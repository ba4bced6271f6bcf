import Foundation
import Dispatch
import GridMapCore
import GridMapNetwork
import Synchronization
import GridMapPlanning

/// Per-command call counts and latency for INFO, shared by every connection.
public final class ServerStats: ProtocolStats {
    public var protocolName: String { "resp" }
    struct Command {
        /// `calls` calls that took `nanos` together, each counted at their mean.
        mutating func addTime(nanos: UInt64, calls: Int) {
            var bucket = 0
            var micros = nanos / UInt64(calls) / 1000
            while micros > 0 && bucket < Command.bucketCount - 1 { micros >>= 1; bucket += 1 }
            totalNanos += nanos
            buckets[bucket] += calls
        }

        mutating func add(_ other: Command) {
            calls += other.calls
            errors += other.errors
            totalNanos += other.totalNanos
            for k in buckets.indices { buckets[k] += other.buckets[k] }
        }

        mutating func reset() {
            calls = 0
            errors = 0
            totalNanos = 0
            for k in buckets.indices { buckets[k] = 0 }
        }

        var calls = 0
        var errors = 0
        var totalNanos: UInt64 = 0
        /// Latency histogram: bucket k counts calls under 2^k µs. 40 buckets reach 2^39 µs
        /// (six days), so no real duration is clamped into the last (24 once stopped at 8.4 s).
        static let bucketCount = 40
        var buckets = [Int](repeating: 0, count: bucketCount)
    }

    /// Every command's counts, indexed like `CommandTable.specs` so recording a call needs
    /// no string hashing.
    struct Counts {
        var commands = [Command](repeating: Command(), count: CommandTable.specs.count)
        var isEmpty = true

        @inline(__always)
        mutating func count(_ index: Int, failed: Bool) {
            commands[index].calls += 1
            if failed { commands[index].errors += 1 }
            isEmpty = false
        }

        mutating func addTime(_ index: Int, nanos: UInt64, calls: Int) {
            commands[index].addTime(nanos: nanos, calls: calls)
        }
    }

    private let commands = Mutex(Counts())
    let connections = Atomic<Int>(0)
    let totalConnections = Atomic<Int>(0)
    let rejectedConnections = Atomic<Int>(0)
    let startedAt = DispatchTime.now().uptimeNanoseconds

    public init() {}

    /// Adds a connection's counts (gathered without locking, one batch of requests at a
    /// time) and zeroes them in place.
    func merge(_ local: inout Counts) {
        guard !local.isEmpty else { return }
        commands.withLock { all in
            for k in local.commands.indices where local.commands[k].calls > 0 {
                all.commands[k].add(local.commands[k])
                local.commands[k].reset()
            }
        }
        local.isEmpty = true
    }

    /// One command's totals so far.
    func totals(of name: String) -> Command? {
        guard let k = CommandTable.specs.firstIndex(where: { $0.name == name }) else { return nil }
        return commands.withLock { $0.commands[k] }
    }

    var uptimeSeconds: Int { Int((DispatchTime.now().uptimeNanoseconds - startedAt) / 1_000_000_000) }

    /// `cmdstat_<name>:calls=…,usec=…,usec_per_call=…,p99_usec_le=…,failed_calls=…` lines.
    func commandLines() -> [String] {
        commands.withLock { all in
            CommandTable.specs.indices.filter { all.commands[$0].calls > 0 }.map { k in
                let (name, c) = (CommandTable.specs[k].name, all.commands[k])
                var seen = 0, p99 = 0
                for (k, n) in c.buckets.enumerated() {
                    seen += n
                    if seen * 100 >= c.calls * 99 { p99 = 1 << k; break }
                }
                let usec = c.totalNanos / 1000
                let perCall = c.calls == 0 ? 0 : Double(c.totalNanos) / Double(c.calls) / 1000
                let usecPerCall = String(format: "%.2f", perCall)
                return "cmdstat_\(name):calls=\(c.calls),usec=\(usec),usec_per_call=\(usecPerCall),"
                    + "p99_usec_le=\(p99),failed_calls=\(c.errors)"
            }
        }
    }
}


extension ServerStats {
    /// Each command's calls and failures so far (the commands called at least once).
    public func commandTotals() -> [(name: String, calls: Int, errors: Int)] {
        commands.withLock { all in
            CommandTable.specs.indices.filter { all.commands[$0].calls > 0 }.map {
                (CommandTable.specs[$0].name, all.commands[$0].calls, all.commands[$0].errors)
            }
        }
    }

    public var openConnections: Int { connections.load(ordering: .relaxed) }

    /// RESP latency as a Prometheus histogram (the buckets INFO keeps: under 2^k µs).
    public func prometheusLatency() -> String {
        let name = "gridmap_resp_request_duration_seconds"
        var lines = ["# TYPE \(name) histogram"]
        commands.withLock { all in
            for k in CommandTable.specs.indices where all.commands[k].calls > 0 {
                let c = all.commands[k], command = CommandTable.specs[k].name
                var cumulative = 0
                for (b, n) in c.buckets.enumerated() where b < 24 {
                    cumulative += n
                    lines.append("\(name)_bucket{command=\"\(command)\",le=\"\(Double(1 << b) / 1e6)\"} \(cumulative)")
                }
                lines.append("\(name)_bucket{command=\"\(command)\",le=\"+Inf\"} \(c.calls)")
                lines.append("\(name)_sum{command=\"\(command)\"} \(Double(c.totalNanos) / 1e9)")
                lines.append("\(name)_count{command=\"\(command)\"} \(c.calls)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
