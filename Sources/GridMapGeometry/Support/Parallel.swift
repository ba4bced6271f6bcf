import Dispatch
import Foundation
import Synchronization

/// The engine's one parallel loop: `0..<count` cut into consecutive parts, each handed to
/// `body` (with its index) on Dispatch's pool, and the parts' results in order. How many parts
/// is `Parallel.parts`. Every spread-out build (stores' rows, packed replies, the grid index,
/// bulk lookups and geocodes) goes through it.
package enum Parallel {
    package static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Parts for `count` items of which each part should have at least `grain`: one below
    /// that, else up to `perCore` parts a core (more parts even out uneven items; fewer cost
    /// less to join).
    package static func parts(_ count: Int, grain: Int, perCore: Int = 4) -> Int {
        max(1, min(cores * perCore, count / max(1, grain)))
    }

    /// Part p of `parts` covers `count·p/parts ..< count·(p+1)/parts`.
    package static func map<T>(_ count: Int, parts: Int, _ body: (Int, Range<Int>) -> T) -> [T] {
        guard parts > 1 else { return [body(0, 0..<count)] }
        var results = [T?](repeating: nil, count: parts)
        results.withUnsafeMutableBufferPointer { buffer in
            // Each part writes only its own element, and `body` is done with when this returns.
            // `body` runs on several threads at once: callers pass only work that reads shared
            // values and writes what is its part's own (each call site says which).
            nonisolated(unsafe) let out = buffer
            withoutActuallyEscaping(body) { body in
                nonisolated(unsafe) let run = body
                DispatchQueue.concurrentPerform(iterations: parts) { p in
                    out[p] = run(p, (count * p / parts)..<(count * (p + 1) / parts))
                }
            }
        }
        return results.map { $0! }
    }
}

extension Array where Element: Sendable {
    /// `map` spread over every core (`Parallel`), results in order: for tens of thousands of
    /// independent items (a store's rows at start-up). The first error thrown (by position) is
    /// rethrown once all parts are done.
    package func concurrentMap<T: Sendable>(_ transform: @Sendable (Int, Element) throws -> T) throws -> [T] {
        try withUnsafeBufferPointer { items in
            nonisolated(unsafe) let input = items  // only read, and alive for the whole call
            let parts = Parallel.map(count, parts: Parallel.parts(count, grain: 1024)) { _, range in
                Result { try range.map { try transform($0, input[$0]) } }
            }
            var all: [T] = []
            all.reserveCapacity(count)
            for part in parts { all.append(contentsOf: try part.get()) }
            return all
        }
    }
}

/// Runs `side` on a thread of its own while `main` runs on this one, and returns both
/// results: for two independent builds of which `main` is not itself spread over every core.
package func inParallel<A: Sendable, B>(_ side: @escaping @Sendable () -> A, _ main: () throws -> B) rethrows
    -> (A, B)
{
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
