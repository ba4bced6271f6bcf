import Dispatch
import Foundation
import GridMapCases
import Synchronization

/// Group commit for the case log: writes submitted while another batch is being made durable
/// wait, and go together into the next transaction (each in a savepoint of its own, so one
/// refused write takes back only its rows), answered once that transaction has committed.
/// On SQLite with synchronous=FULL the cost of a report is mostly its commit's sync; sixteen
/// clients reporting at once then share one. Callers are called back (or await): no thread
/// waits for them.
final class CaseWriter: Sendable {
    /// One caller's write: run inside the batch's transaction, answered after its commit.
    private final class Pending: @unchecked Sendable {
        /// Throws only when the batch's transaction broke (`CaseLog.Broken`): none of it commits.
        let run: (CaseLog) throws -> Void
        let failed: (any Error) -> Void
        let answer: () -> Void
        init(run: @escaping (CaseLog) throws -> Void, failed: @escaping (any Error) -> Void,
             answer: @escaping () -> Void) {
            (self.run, self.failed, self.answer) = (run, failed, answer)
        }
    }

    /// A written result, read only by the writer's queue and then by the one continuation.
    private final class Outcome<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }

    private let pending = Mutex<(items: [Pending], draining: Bool)>(([], false))
    private let queue = DispatchQueue(label: "gridmap.case-writer", qos: .userInitiated)

    /// Runs `body` in the next batch's transaction; `done` is called (on the writer's queue)
    /// once that batch is durable, or has failed.
    func submit<T: Sendable>(_ desk: CaseDesk, _ body: @escaping @Sendable (CaseLog) throws -> T,
                             done: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let outcome = Outcome<T>()
        let item = Pending(
            run: { log in
                do { outcome.result = .success(try log.transaction { try body(log) }) } catch let b as CaseLog.Broken {
                    throw b
                } catch { outcome.result = .failure(error) }
            },
            failed: { outcome.result = .failure($0) },
            answer: { done(outcome.result ?? .failure(CaseError(.caseLogUnavailable, "not written"))) })
        let start = pending.withLock { p -> Bool in
            p.items.append(item)
            if p.draining { return false }
            p.draining = true
            return true
        }
        if start { queue.async { self.drain(desk) } }
    }

    /// Writes batches until none is waiting.
    private func drain(_ desk: CaseDesk) {
        while true {
            let batch = pending.withLock { p -> [Pending] in
                let items = p.items
                p.items = []
                if items.isEmpty { p.draining = false }
                return items
            }
            if batch.isEmpty { return }
            do {
                try desk.with { log in try log.transaction { for item in batch { try item.run(log) } } }
            } catch {
                // The commit failed (or the log could not be opened): nothing of the batch was kept.
                for item in batch { item.failed(error) }
            }
            for item in batch { item.answer() }
        }
    }
}
