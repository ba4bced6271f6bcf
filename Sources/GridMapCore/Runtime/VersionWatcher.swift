import CGridMapSupport
import Foundation
import GridMapGeometry
import GridMapModel
import ServiceLifecycle
import Synchronization

/// Follows the store for a `MapService`: polls it (or wakes on a backend's hint), builds each
/// new version beside the current one and swaps it in, and runs this process's publishes one
/// at a time. A lifecycle `Service`: `gridmap serve` runs it beside the servers, and a graceful
/// shutdown stops it after its current turn (the queued publishes still run).
///
/// Its state changes only through `handle(_:)`, whose transitions are the table below; INFO and
/// `/metrics` read it.
///
///     idle ──start──▶ starting ──followed(v)──▶ following(v) ◀──followed(v)──┐
///                        │                        │   ▲                          │
///                        └──failed(why)──▶ degraded(why) ──────────────────────┘
///     starting, following, degraded ──stop──▶ stopping ──stopped──▶ stopped
///
/// The watcher's thread runs at a lower priority (`MapService.builderNice`): on a small
/// machine, building a version then takes the CPU time the event loops leave.
public final class VersionWatcher: Service, Sendable {
    public enum State: Sendable, Equatable, CustomStringConvertible {
        case idle
        case starting
        /// Serving the store's newest version.
        case following(version: Int)
        /// Serving from memory while the store cannot be followed (removed, unreachable, …).
        case degraded(reason: String)
        case stopping
        case stopped

        public var description: String {
            switch self {
            case .idle: "idle"
            case .starting: "starting"
            case .following(let v): "following (version \(v))"
            case .degraded(let reason): "degraded: \(reason)"
            case .stopping: "stopping"
            case .stopped: "stopped"
            }
        }

        /// The state's name alone, for metrics and INFO.
        public var name: String {
            switch self {
            case .idle: "idle"
            case .starting: "starting"
            case .following: "following"
            case .degraded: "degraded"
            case .stopping: "stopping"
            case .stopped: "stopped"
            }
        }
    }

    public enum Event: Sendable, Equatable {
        case start
        case followed(version: Int)
        case failed(reason: String)
        case stop
        case stopped
    }

    /// A transition the table does not allow: a bug in the watcher, reported, never applied.
    public struct InvalidTransition: Error, CustomStringConvertible {
        public let from: State
        public let event: Event
        public var description: String { "the watcher cannot go from \(from) on \(event)" }
    }

    /// The state after `event` in `state`, or nil when the table does not allow it.
    public static func next(_ state: State, on event: Event) -> State? {
        switch (state, event) {
        case (.idle, .start): .starting
        case (.starting, .followed(let v)), (.following, .followed(let v)), (.degraded, .followed(let v)):
            .following(version: v)
        case (.starting, .failed(let why)), (.following, .failed(let why)), (.degraded, .failed(let why)):
            .degraded(reason: why)
        case (.starting, .stop), (.following, .stop), (.degraded, .stop): .stopping
        case (.stopping, .stopped): .stopped
        default: nil
        }
    }

    public let service: MapService
    private let interval: Duration
    private let current = Mutex<State>(.idle)
    /// Called on every change of state (the server logs it), on the watcher's thread.
    private let listener = Mutex<(@Sendable (State) -> Void)?>(nil)
    /// Whether this watcher's state is the service's (false for one refused because another
    /// already follows the service: its refusal must not overwrite the running one's state).
    private let mirrors = Atomic<Bool>(true)

    public init(service: MapService, every interval: Duration = MapService.defaultPollInterval) {
        self.service = service
        self.interval = interval
    }

    public var state: State { current.withLock { $0 } }

    public func onChange(_ body: @escaping @Sendable (State) -> Void) { listener.withLock { $0 = body } }

    /// The only way the state changes. A repeated `followed` of the same version or `failed`
    /// of the same reason changes nothing and tells no one.
    @discardableResult
    public func handle(_ event: Event) throws -> State {
        let mirror = mirrors.load(ordering: .relaxed)
        let (before, after): (State, State) = try current.withLock { state in
            guard let next = VersionWatcher.next(state, on: event) else {
                throw InvalidTransition(from: state, event: event)
            }
            defer { state = next }
            // Under the watcher's lock, so INFO never sees the states out of order.
            if mirror, next != state { service.watcherStateCell.withLock { $0 = next } }
            return (state, next)
        }
        guard before != after else { return after }
        if let body = listener.withLock({ $0 }) { body(after) }
        return after
    }

    /// Watches until a graceful shutdown (or the task's cancellation), on a thread of its own;
    /// returns once the thread has run its last queued publishes.
    public func run() async throws {
        try handle(.start)
        guard let pollMs = service.beginWatching(every: interval) else {
            mirrors.store(false, ordering: .relaxed)
            try handle(.failed(reason: "another watcher already follows this store"))
            try handle(.stop)
            try handle(.stopped)
            return
        }
        let finished = ThreadCompletion()
        let thread = Thread { [self] in
            _ = gridmap_lower_thread_priority(MapService.builderNice)
            var trimmed = Date()
            while service.isWatching {
                switch service.watchTurn() {
                case .success(let v): _ = try? handle(.followed(version: v))
                case .failure(let problem): _ = try? handle(.failed(reason: problem.message))
                }
                if -trimmed.timeIntervalSinceNow >= MapService.trimIntervalSeconds {
                    ThreadResources.releaseIdle()
                    releaseFreedMemory()
                    trimmed = Date()
                }
                service.waitForWork(ms: pollMs)
            }
            service.endWatching()
            finished.finish()
        }
        thread.name = "gridmap-store-watcher"
        thread.start()
        // Waited for without regard to cancellation: on a cancel as on a graceful shutdown the
        // thread is asked to stop, and `run` returns only once it has (its last publishes run).
        await withTaskCancellationOrGracefulShutdownHandler {
            await finished.wait()
        } onCancelOrGracefulShutdown: { [self] in
            _ = try? handle(.stop)
            service.stopWatching()
        }
        // The thread ends after its turn; a stop that came while the stream finished first
        // (the service stopped by another watcher's owner) is made here.
        if case .stopping = state {} else { _ = try? handle(.stop) }
        try handle(.stopped)
    }
}

/// The end of a thread, awaited: `wait` returns once `finish` was called, whether or not the
/// waiting task is cancelled.
private final class ThreadCompletion: Sendable {
    private let state = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.done = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.done { return true }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
    }
}
