import Foundation
import GridMapCore
import GridMapPlanning

/// What a random read from memory costs on this machine, measured over as many bytes as the
/// grid index holds. A lookup whose index misses the caches waits for such reads, so these
/// figures are the floor under the one-at-a-time lookup cost on large data.
enum MemoryLatency {
    /// Nanoseconds per read: `dependent` when each address comes from the previous read (a
    /// lookup waiting on its own data), `independent` when addresses are known in advance
    /// and the CPU overlaps the reads (the most a loop of independent lookups can overlap).
    static func measure(bytes: Int, reads: Int = 4_000_000) -> (dependent: Double, independent: Double) {
        let n = max(1024, bytes / MemoryLayout<Int>.stride)
        var random = SeededRandom(seed: 7)
        // Sattolo's shuffle: one cycle through every slot, so the chase visits all of them.
        var next = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) {
            next.swapAt(i, Int.random(in: 0..<i, using: &random))
        }
        let targets = (0..<reads).map { _ in Int.random(in: 0..<n, using: &random) }
        var at = 0
        for _ in 0..<min(n, 1_000_000) { at = next[at] }  // warm the page tables
        var t = DispatchTime.now().uptimeNanoseconds
        next.withUnsafeBufferPointer { p in
            for _ in 0..<reads { at = p[at] }
        }
        let dependent = Double(DispatchTime.now().uptimeNanoseconds - t) / Double(reads)
        var sum = 0
        t = DispatchTime.now().uptimeNanoseconds
        next.withUnsafeBufferPointer { p in
            for k in targets { sum &+= p[k] }
        }
        let independent = Double(DispatchTime.now().uptimeNanoseconds - t) / Double(reads)
        // A use of both results the optimizer cannot see through, so it keeps both loops.
        if at == -1 || sum == -1 { print(at, sum) }
        return (dependent, independent)
    }
}
