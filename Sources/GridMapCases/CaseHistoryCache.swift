import Foundation
import Synchronization
import GridMapGeometry

/// Every case's history as the measures read it, kept in step with the log by reading only the
/// events appended since it last looked, in the log's append order (SQLite's rowid, PostgreSQL's
/// `n`): writers take turns across processes and hosts, so that order is the order of commits
/// and nothing committed can appear behind the cursor. A request then replays from memory
/// instead of reading and parsing every case's rows again.
public final class CaseHistoryCache: Sendable {
    private struct Content: Sendable {
        var cases: [CaseHistory] = []
        var index: [Int: Int] = [:]
        var cursor = 0
        var ordered = true
        /// Positions by the day they stop counting (`countsUntilMs`; owed work under `Int.max`), so
        /// that a request for a period visits only the cases that may count in it.
        var byDay: [Int: Set<Int>] = [:]
        var dayOf: [Int] = []
        /// The latest event held: a request as of this or later needs no case cut short.
        var latestMs = Int64.min

        static func day(_ ms: Int64) -> Int {
            ms == .max ? .max : Int((ms >= 0 ? ms : ms - 86_399_999) / 86_400_000)
        }

        mutating func place(_ k: Int) {
            let day = Self.day(cases[k].countsUntilMs)
            if k < dayOf.count {
                guard dayOf[k] != day else { return }
                byDay[dayOf[k]]?.remove(k)
                dayOf[k] = day
            } else {
                dayOf.append(day)
            }
            byDay[day, default: []].insert(k)
            latestMs = max(latestMs, cases[k].lastEventMs)
        }
    }
    private let content = Mutex(Content())

    public init() {}

    /// Reads on in `log`; where it has read to, and the latest event it holds.
    public func refresh(_ log: CaseLog) throws -> (cursor: Int, latestMs: Int64) {
        _ = try histories(log, reportedBefore: .min, asOfMs: .min)
        return content.withLock { ($0.cursor, $0.latestMs) }
    }

    /// How many cases it holds (`/metrics`: `gridmap_case_histories_held`).
    public var count: Int { content.withLock { $0.cases.count } }

    /// The cases reported before `beforeMs`, with their events up to `asOfMs` (what
    /// `CaseLog.histories` reads whole), after merging what `log` appended since the last call;
    /// with `fromMs`, only those that may count in a period starting then (`mayCount`).
    public func histories(_ log: CaseLog, reportedBefore beforeMs: Int64, asOfMs: Int64, fromMs: Int64? = nil) throws
        -> [CaseHistory]
    {
        for _ in 0..<3 {
            let cursor = content.withLock { $0.cursor }
            let (fresh, newCursor) = try log.appended(after: cursor)
            let merged: [CaseHistory]? = content.withLock { c in
                // Another caller merged meanwhile: read again from its cursor.
                guard c.cursor == cursor else { return nil }
                for h in fresh {
                    if let k = c.index[h.id], h.firstSeq == c.cases[k].lastSeq + 1 {
                        c.cases[k] = c.cases[k].appending(h)
                        c.place(k)
                    } else if c.index[h.id] == nil && h.firstSeq == 1 {
                        if let last = c.cases.last, last.id > h.id { c.ordered = false }
                        c.index[h.id] = c.cases.count
                        c.cases.append(h)
                        c.place(c.cases.count - 1)
                    } else {
                        // Not the log read before (restored, replaced): start again from nothing.
                        c = Content()
                        return nil
                    }
                }
                c.cursor = newCursor
                if !c.ordered {
                    c.cases.sort { $0.id < $1.id }
                    c.index = Dictionary(uniqueKeysWithValues: c.cases.enumerated().map { ($1.id, $0) })
                    (c.byDay, c.dayOf, c.ordered) = ([:], [], true)
                    for k in c.cases.indices { c.place(k) }
                }
                // As of the latest event or later, with a period: only the days from its start on.
                guard let fromMs, asOfMs >= c.latestMs else { return c.cases }
                let first = Content.day(fromMs)
                let days = c.byDay.filter { $0.key >= first }.values
                // Most of a large log anyway (a long period): a pass over all is cheaper than sorting.
                let candidates = days.reduce(0) { $0 + $1.count }
                guard candidates * 4 < c.cases.count || c.cases.count < 4096 else { return c.cases }
                return days.flatMap { $0 }.sorted().map { c.cases[$0] }
            }
            guard let all = merged else { continue }
            var out: [CaseHistory] = []
            out.reserveCapacity(all.count)
            for c in all where c.reportedMs < beforeMs && c.reportedMs <= asOfMs {
                let known = c.lastEventMs <= asOfMs ? c : c.upTo(asOfMs)
                if let fromMs, !known.mayCount(fromMs: fromMs) { continue }
                out.append(known)
            }
            return out
        }
        return try log.histories(reportedBefore: beforeMs, asOfMs: asOfMs)
    }
}
