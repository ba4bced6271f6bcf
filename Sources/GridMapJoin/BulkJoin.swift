#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// Joins a CSV file of any columns to the grids, streaming: every input row comes out once, in
/// order, with the grid columns appended (or goes to the rejects with its line and reason).
///
/// Shape: this thread reads blocks and cuts each after its last whole record; the chunks are
/// parsed and located on every core; one writer thread writes their results in input order.
/// At most `inFlight` chunks exist at once, so memory stays flat however long the input.
public enum BulkJoin {
    public static let blockBytes = 1 << 20
    /// A record longer than this is taken to be a quote never closed: its first line is
    /// rejected and reading goes on after it.
    public static let maxRecordBytes = 16 << 20
    package static var inFlight: Int { 2 * ProcessInfo.processInfo.activeProcessorCount + 2 }

    /// Where the results go; called from the writer thread, in order.
    public struct Sinks: Sendable {
        public var output: @Sendable (UnsafeRawBufferPointer) throws -> Void
        public var rejects: @Sendable (UnsafeRawBufferPointer) throws -> Void
        public var progress: @Sendable (JoinProgress) -> Void
        public init(output: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void,
                    rejects: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void,
                    progress: @escaping @Sendable (JoinProgress) -> Void = { _ in }) {
            self.output = output
            self.rejects = rejects
            self.progress = progress
        }
    }

    /// Joins the CSV read from file descriptor `input` (`size`: its length, when known).
    /// (`block` and `maxRecord` are for tests: small ones make many chunk boundaries.)
    public static func run(_ request: JoinRequest, maps: JoinMaps, input: Int32, size: Int64? = nil,
                           sinks: Sinks, block: Int = blockBytes, maxRecord: Int = maxRecordBytes) throws
        -> JoinSummary
    {
        let started = DispatchTime.now()
        var reader = BlockReader(fd: input, block: block, maxRecord: maxRecord)
        let header = try reader.header()
        let names = header.fields
        let plan = try request.columns(in: names)
        if request.categoryColumn != nil, maps.head.departmentUnits == nil {
            throw JoinError("--category: this map has no category catalogue and no units (categories.csv, "
                            + "units.geojson): nothing to route by")
        }
        var geocoder: Geocoder?
        if case .address = request.source {
            do { geocoder = try maps.head.geocoder } catch { throw JoinError("cannot build the geocoder: \(error)") }
        }
        let context = JoinContext(
            request: request, plan: plan, maps: maps, geocoder: geocoder,
            keys: JoinBulkText.keys(names), lineEnd: header.crlf && request.format == .csv ? [13, 10] : [10])
        let writer = JoinWriter(sinks: sinks, headerLines: header.newlines, size: size, started: started)
        if request.format == .csv {
            var first = header.raw
            for name in request.appendedColumns {
                first.append(CSVScanner.comma)
                CSVScanner.appendField(name.utf8, to: &first)
            }
            try first.withUnsafeBytes { try sinks.output($0) }
            try context.lineEnd.withUnsafeBytes { try sinks.output($0) }
        }
        let slots = DispatchSemaphore(value: inFlight)
        let queue = JoinQueue()
        let writing = Thread { writer.drain(queue, slots: slots) }
        writing.stackSize = 1 << 20
        writing.start()
        var readError: (any Error)?
        do {
            while let (chunk, consumed) = try reader.nextChunk(), !writer.failed {
                slots.wait()
                let job = JoinJob(consumed: consumed)
                queue.push(job)
                DispatchQueue.global().async { job.finish(JoinChunk.process(chunk, context)) }
            }
        } catch { readError = error }
        queue.push(nil)
        writer.done.wait()
        if let e = writer.error { throw e }
        if let readError { throw readError }
        return writer.summary()
    }
}

/// Progress while a join runs (the writer's view: rows written so far).
public struct JoinProgress: Sendable {
    public let rows: Int
    public let bytesRead: Int64
    public let totalBytes: Int64?
    public let seconds: Double

    /// `1,234,567 rows · 2,010,000 rows/s · 0:05 · about 0:12 left`
    public var text: String {
        let rate = seconds > 0 ? Double(rows) / seconds : 0
        var s = "\(JoinSummary.grouped(rows)) rows · \(JoinSummary.grouped(Int(rate))) rows/s · "
            + JoinSummary.clock(seconds)
        if let total = totalBytes, total > 0, bytesRead > 0 {
            let left = seconds * Double(total - bytesRead) / Double(bytesRead)
            s += " · about \(JoinSummary.clock(left)) left"
        }
        return s
    }
}

/// What a join did: rows read, assigned to a grid, outside every grid, rejected; rows per street.
public struct JoinSummary: Sendable {
    public let rows, assigned, outside, rejected: Int
    public let streets: [(id: String, name: String, rows: Int)]
    public let seconds: Double
    public let peakMemoryBytes: Int

    public var description: String {
        let rate = seconds > 0 ? Int(Double(rows) / seconds) : 0
        var lines = [
            "\(Self.grouped(rows)) rows read in \(String(format: "%.2f", seconds)) s (\(Self.grouped(rate)) rows/s, "
                + "peak memory \(peakMemoryBytes >> 20) MiB)",
            "  assigned \(Self.grouped(assigned)) · outside every grid \(Self.grouped(outside)) · "
                + "rejected \(Self.grouped(rejected))",
        ]
        for s in streets {
            lines.append("  \(s.id.isEmpty ? "(no street)" : s.id) \(s.name): \(Self.grouped(s.rows))")
        }
        return lines.joined(separator: "\n")
    }

    package static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (k, c) in digits.enumerated() {
            if k > 0 && (digits.count - k) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    package static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// One chunk on its way: parsed on a worker, written by the writer when its turn comes.
package final class JoinJob: Sendable {
    package let consumed: Int64
    private let result = Mutex<JoinChunkResult?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    package init(consumed: Int64) { self.consumed = consumed }

    package func finish(_ r: JoinChunkResult) {
        result.withLock { $0 = r }
        ready.signal()
    }

    package func wait() -> JoinChunkResult {
        ready.wait()
        return result.withLock { r in
            defer { r = nil }
            return r!
        }
    }
}

/// The jobs in input order; nil ends them.
package final class JoinQueue: Sendable {
    private let jobs = Mutex<[JoinJob?]>([])
    private let count = DispatchSemaphore(value: 0)

    package func push(_ job: JoinJob?) {
        jobs.withLock { $0.append(job) }
        count.signal()
    }

    package func pop() -> JoinJob? {
        count.wait()
        return jobs.withLock { $0.removeFirst() }
    }
}

/// Writes the chunks' results in order and keeps the counts.
package final class JoinWriter: Sendable {
    private struct State {
        var rows = 0, assigned = 0, outside = 0, rejected = 0
        var line: Int
        var bytes: Int64 = 0
        var streets: [String: (name: String, rows: Int)] = [:]
        var error: (any Error)?
    }

    private let sinks: BulkJoin.Sinks
    private let size: Int64?
    private let started: DispatchTime
    private let state: Mutex<State>
    private let stopped = Atomic<Bool>(false)
    package let done = DispatchSemaphore(value: 0)

    package init(sinks: BulkJoin.Sinks, headerLines: Int, size: Int64?, started: DispatchTime) {
        self.sinks = sinks
        self.size = size
        self.started = started
        state = Mutex(State(line: headerLines))
    }

    package var failed: Bool { stopped.load(ordering: .relaxed) }
    package var error: (any Error)? { state.withLock { $0.error } }

    package func drain(_ queue: JoinQueue, slots: DispatchSemaphore) {
        var wroteRejectHeader = false
        while let job = queue.pop() {
            let r = job.wait()
            defer { slots.signal() }
            if failed { continue }
            do {
                try r.output.withUnsafeBytes { try sinks.output($0) }
                let base = state.withLock { $0.line }
                if !r.rejects.isEmpty {
                    var text: [UInt8] = wroteRejectHeader ? [] : Array("line,reason,text\n".utf8)
                    wroteRejectHeader = true
                    for reject in r.rejects {
                        text.append(contentsOf: String(base + reject.line + 1).utf8)
                        text.append(CSVScanner.comma)
                        CSVScanner.appendField(reject.reason.utf8, to: &text)
                        text.append(CSVScanner.comma)
                        CSVScanner.appendField(reject.text, to: &text)
                        text.append(CSVScanner.newline)
                    }
                    try text.withUnsafeBytes { try sinks.rejects($0) }
                }
                let progress = state.withLock { s in
                    s.rows += r.rows; s.assigned += r.assigned; s.outside += r.outside
                    s.rejected += r.rejects.count; s.line += r.newlines; s.bytes += job.consumed
                    for (id, v) in r.streets { s.streets[id, default: (v.name, 0)].rows += v.rows }
                    return JoinProgress(rows: s.rows, bytesRead: s.bytes, totalBytes: size, seconds: elapsed)
                }
                sinks.progress(progress)
            } catch {
                state.withLock { $0.error = error }
                stopped.store(true, ordering: .relaxed)
            }
        }
        done.signal()
    }

    private var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 }

    package func summary() -> JoinSummary {
        state.withLock { s in
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            return JoinSummary(
                rows: s.rows, assigned: s.assigned, outside: s.outside, rejected: s.rejected,
                streets: s.streets.map { ($0.key, $0.value.name, $0.value.rows) }.sorted { $0.id < $1.id },
                seconds: elapsed, peakMemoryBytes: Int(usage.ru_maxrss) * 1024)
        }
    }
}

/// JSON Lines keys made from the header: each name once (`name_2` for a repeat, `column_k` for
/// none), as `"name":`.
package enum JoinBulkText {
    package static func keys(_ names: [String]) -> [[UInt8]] {
        var seen: [String: Int] = [:]
        return names.enumerated().map { k, raw in
            let base = raw.trimmingCharacters(in: .whitespaces).isEmpty ? "column_\(k + 1)" : raw
            let n = (seen[base] ?? 0) + 1
            seen[base] = n
            var out: [UInt8] = []
            JSONValue.appendString(n == 1 ? base : "\(base)_\(n)", to: &out)
            out.append(UInt8(ascii: ":"))
            return out
        }
    }
}
