import NIOCore

/// Runs a task's jobs on an event loop instead of Swift's global pool (a task started with
/// `Task(executorPreference:)`, and every continuation of it). A connection's awaiting work
/// (a publish queued for the watcher, then its reply written) then needs no thread of the
/// global pool, which code that blocks may hold; its jobs are short (the waiting is done by
/// a continuation, the publishing by the watcher's thread).
public final class EventLoopTaskExecutor: TaskExecutor {
    public let loop: any EventLoop

    public init(_ loop: any EventLoop) { self.loop = loop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
