import Foundation

/// Monotonic nanoseconds from `clock_gettime` (a vDSO call; `DispatchTime.now()` adds a layer
/// to each read): for timeouts, lockouts and latency, which must not move with the wall clock.
@inline(__always)
public func monotonicNanos() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
}

/// The wall clock as the stores record it: milliseconds since 1970.
public enum Clock {
    public static var nowMs: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
