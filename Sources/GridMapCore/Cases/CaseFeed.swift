import Dispatch
import Foundation
import GridMapCases
import GridMapGeometry
import ServiceLifecycle
import Synchronization

/// Who listens to the case log, by channel (`CaseNotice.channels`): RESP subscribers register
/// here, and `CaseFeedService` tells them what it reads from the log.
public final class CaseFeed: Sendable {
    private struct Listener {
        var channels: Set<String>
        let deliver: @Sendable (String, CaseNotice) -> Void
    }
    private let listeners = Mutex<[Int: Listener]>([:])
    private let nextID = Atomic<Int>(0)

    public init() {}

    /// Registers `deliver`, called with (channel, notice) for each notice on one of `channels`.
    public func listen(_ channels: Set<String>, _ deliver: @escaping @Sendable (String, CaseNotice) -> Void) -> Int {
        let id = nextID.add(1, ordering: .relaxed).newValue
        listeners.withLock { $0[id] = Listener(channels: channels, deliver: deliver) }
        return id
    }

    public func update(_ id: Int, channels: Set<String>) {
        listeners.withLock { $0[id]?.channels = channels }
    }

    public func stop(_ id: Int) { listeners.withLock { _ = $0.removeValue(forKey: id) } }

    public var isHeard: Bool { listeners.withLock { !$0.isEmpty } }

    /// Tells each listener of each notice, once per channel of the notice it listens to.
    func announce(_ notices: [CaseNotice]) {
        let all = listeners.withLock { Array($0.values) }
        for notice in notices {
            for listener in all {
                for channel in notice.channels where listener.channels.contains(channel) {
                    listener.deliver(channel, notice)
                }
            }
        }
    }
}

/// Reads the case log for what is new and tells `CaseFeed`'s listeners: every event appended
/// (by this server or any other on the same store: SQLite file or PostgreSQL database), and
/// every open case passing its due time. Polls twice a second while anyone listens; events
/// are found by time with a look-back window (a transaction may commit an event stamped a
/// moment before one already seen), each told once. A lifecycle `Service` that `gridmap serve`
/// runs; its state changes only through `handle(_:)`:
///
///     idle ──start──▶ polling ◀──read──┐        polling, degraded ──stop──▶ stopped
///                       │   ▲           │
///                       └─failed(why)─▶ degraded(why)
public final class CaseFeedService: Service, Sendable {
    public enum State: Sendable, Equatable {
        case idle, polling, degraded(reason: String), stopped
    }
    public enum Event: Sendable { case start, read, failed(String), stop }

    static let lookBackMs: Int64 = 10_000

    private let desk: CaseDesk
    private let state = Mutex<State>(.idle)
    private let cursor = Mutex<(sinceMs: Int64, dueCheckedMs: Int64, seen: Set<[Int]>)>((0, 0, []))
    private let queue = DispatchQueue(label: "gridmap.case-feed")

    public init(desk: CaseDesk) { self.desk = desk }

    public var current: State { state.withLock { $0 } }

    /// The table of transitions: the only place `state` changes.
    @discardableResult
    func handle(_ event: Event) -> State {
        state.withLock { s in
            switch (s, event) {
            case (.idle, .start): s = .polling
            case (.polling, .read), (.degraded, .read): s = .polling
            case (.polling, .failed(let why)), (.degraded, .failed(let why)): s = .degraded(reason: why)
            case (_, .stop): s = .stopped
            default: break
            }
            return s
        }
    }

    public func run() async throws {
        let now = Clock.nowMs
        cursor.withLock { $0 = (now, now, []) }
        handle(.start)
        // Turns on a queue of its own, not on the cooperative pool: notices go out however
        // busy the tasks of the process are.
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(500), repeating: .milliseconds(500))
        timer.setEventHandler { [self] in
            let now = Clock.nowMs
            if desk.feed.isHeard {
                poll(nowMs: now)
            } else {
                // Nobody listens: nothing is owed, so a first subscriber hears from now on, not
                // the backlog of a quiet spell.
                cursor.withLock { $0 = (now, now, []) }
            }
        }
        timer.resume()
        try? await gracefulShutdown()
        timer.cancel()
        handle(.stop)
    }

    /// One turn: what was appended since the cursor (less the look-back), and what fell due.
    func poll(nowMs: Int64) {
        let (since, dueChecked) = cursor.withLock { ($0.sinceMs, $0.dueCheckedMs) }
        do {
            let (events, overdue) = try desk.with { log in
                (try log.notices(sinceMs: since - Self.lookBackMs),
                 try log.overdue(afterMs: dueChecked, untilMs: nowMs))
            }
            let fresh = cursor.withLock { c -> [CaseNotice] in
                let new = events.filter { !c.seen.contains([$0.caseID, $0.seq]) }
                let newest = events.map(\.atMs).max() ?? c.sinceMs
                c.sinceMs = max(c.sinceMs, newest)
                // Only what the look-back window can still return needs remembering.
                let floor = c.sinceMs - Self.lookBackMs
                c.seen = Set(events.filter { $0.atMs >= floor }.map { [$0.caseID, $0.seq] })
                c.dueCheckedMs = nowMs
                return new
            }
            desk.feed.announce(fresh + overdue)
            handle(.read)
        } catch {
            handle(.failed("\(error)"))
        }
    }
}
