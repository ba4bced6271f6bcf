import Dispatch
import Synchronization

/// What the watcher's thread is given to do besides polling: publishes queued by callers that
/// await them (no thread parked per publish), and the signal that wakes it early (a publish,
/// a hint of a new version, a stop). Once closed (the watcher has taken its last jobs) a job
/// is refused, and its caller runs it itself.
final class WatcherInbox: Sendable {
    typealias Job = @Sendable () -> Void
    private let jobs = Mutex<(list: [Job], closed: Bool)>(([], false))
    private let bell = DispatchSemaphore(value: 0)

    /// Queues `job` and wakes the watcher; false when the inbox is closed (nobody would run it).
    func post(_ job: @escaping Job) -> Bool {
        let queued = jobs.withLock { j -> Bool in
            guard !j.closed else { return false }
            j.list.append(job)
            return true
        }
        if queued { wake() }
        return queued
    }

    /// The jobs queued so far, taken out of the inbox (the watcher runs them).
    func take() -> [Job] { jobs.withLock { j in defer { j.list = [] }; return j.list } }

    /// The last jobs, taken out, and the inbox closed: a later `post` is refused.
    func close() -> [Job] { jobs.withLock { j in defer { j = ([], true) }; return j.list } }

    /// Opened again for a watcher that begins.
    func open() { jobs.withLock { $0.closed = false } }

    /// Jobs queued, not yet taken.
    var count: Int { jobs.withLock { $0.list.count } }

    /// Wakes the watcher if it waits (or makes its next wait return at once).
    func wake() { bell.signal() }

    /// Waits up to `ms` for a job, a hint or a stop.
    func wait(ms: Int64) { _ = bell.wait(timeout: .now() + .milliseconds(Int(ms))) }
}
