import Dispatch
import Foundation
import Synchronization

extension Array where Element: Sendable {
    /// `map` spread over every core, results in order: for tens of thousands of independent
    /// items (a store's rows at start-up). Small arrays are mapped on the calling thread. The
    /// first error thrown (by position) is rethrown once all chunks are done.
    func concurrentMap<T: Sendable>(_ transform: @Sendable (Int, Element) throws -> T) throws -> [T] {
        guard count >= 4096 else { return try enumerated().map { try transform($0, $1) } }
        let chunks = ProcessInfo.processInfo.activeProcessorCount * 4
        var parts = [Result<[T], any Error>](repeating: .success([]), count: chunks)
        let n = count
        withUnsafeBufferPointer { items in
            parts.withUnsafeMutableBufferPointer { buffer in
                // Each iteration writes only its own element of `parts` and reads `items`.
                nonisolated(unsafe) let out = buffer, input = items
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let range = (n * c / chunks)..<(n * (c + 1) / chunks)
                    out[c] = Result { try range.map { try transform($0, input[$0]) } }
                }
            }
        }
        var all: [T] = []
        all.reserveCapacity(n)
        for part in parts { all.append(contentsOf: try part.get()) }
        return all
    }
}

/// Runs `side` on a thread of its own while `main` runs on this one, and returns both
/// results: for two independent builds of which `main` is not itself spread over every core.
func inParallel<A: Sendable, B>(_ side: @escaping @Sendable () -> A, _ main: () throws -> B) rethrows -> (A, B) {
    let result = Mutex<A?>(nil)
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        let value = side()
        result.withLock { $0 = value }
        done.signal()
    }
    // Wait for `side` even when `main` throws: it must not outlive the call's captures.
    let b: B
    do { b = try main() } catch {
        done.wait()
        throw error
    }
    done.wait()
    return (result.withLock { $0! }, b)
}
