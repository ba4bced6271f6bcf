import Dispatch
import Synchronization

/// Per-command call counts and latency for INFO, shared by every connection.
public final class ServerStats: Sendable {
    struct Command {
        mutating func record(nanos: UInt64, failed: Bool) {
            var bucket = 0
            var micros = nanos / 1000
            while micros > 0 && bucket < 23 { micros >>= 1; bucket += 1 }
            calls += 1
            totalNanos += nanos
            buckets[bucket] += 1
            if failed { errors += 1 }
        }

        var calls = 0
        var errors = 0
        var totalNanos: UInt64 = 0
        /// Latency histogram: bucket k counts calls under 2^k µs.
        var buckets = [Int](repeating: 0, count: 24)
    }

    private let commands = Mutex<[String: Command]>([:])
    let connections = Atomic<Int>(0)
    let totalConnections = Atomic<Int>(0)
    let rejectedConnections = Atomic<Int>(0)
    let startedAt = DispatchTime.now().uptimeNanoseconds

    public init() {}

    /// Adds a connection's counts (gathered without locking, one batch of requests at a time).
    func merge(_ local: inout [String: Command]) {
        guard !local.isEmpty else { return }
        commands.withLock { all in
            for (name, c) in local {
                var total = all[name, default: Command()]
                total.calls += c.calls
                total.errors += c.errors
                total.totalNanos += c.totalNanos
                for k in c.buckets.indices { total.buckets[k] += c.buckets[k] }
                all[name] = total
            }
        }
        local.removeAll(keepingCapacity: true)
    }

    var uptimeSeconds: Int { Int((DispatchTime.now().uptimeNanoseconds - startedAt) / 1_000_000_000) }

    /// `cmdstat_<name>:calls=…,usec=…,usec_per_call=…,p99_usec_le=…,failed_calls=…` lines.
    func commandLines() -> [String] {
        commands.withLock { all in
            all.keys.sorted().map { name in
                let c = all[name]!
                var seen = 0, p99 = 0
                for (k, n) in c.buckets.enumerated() {
                    seen += n
                    if seen * 100 >= c.calls * 99 { p99 = 1 << k; break }
                }
                let usec = c.totalNanos / 1000
                let perCall = c.calls == 0 ? 0 : Double(c.totalNanos) / Double(c.calls) / 1000
                return "cmdstat_\(name):calls=\(c.calls),usec=\(usec),usec_per_call=\(String(format: "%.2f", perCall)),p99_usec_le=\(p99),failed_calls=\(c.errors)"
            }
        }
    }
}

import Foundation
