import Synchronization
import GridMapGeometry
import GridMapModel
import GridMapStore

/// Failed authentications counted per client address and user, RESP's and HTTP's together. The first
/// `freeFailures` cost nothing (people mistype); after that each failure locks the address out
/// for twice as long as the one before (1 s, 2 s, 4 s … up to `maxLockoutSeconds`), and while
/// it is locked out its attempts are refused without checking the password, so guessing runs
/// at a few tries a minute. Others' clients, and a right password from another address, are
/// not slowed. A success, or `forgetAfterSeconds` without failures, clears the address.
public final class AuthThrottle: Sendable {
    public static let freeFailures = 5
    public static let maxLockoutSeconds = 60
    public static let forgetAfterSeconds = 600
    /// Addresses remembered at most: past it the oldest are forgotten, so that failures from
    /// many addresses cost bounded memory.
    package static let capacity = 10_000

    private struct Entry {
        var failures: Int
        var lockedUntil: UInt64
        var last: UInt64
    }
    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Seconds until `client` may try again, or nil when it may try now.
    public func retryAfter(_ client: String) -> Int? {
        entries.withLock { all in
            let now = monotonicNanos()
            guard let e = all[client], e.lockedUntil > now else { return nil }
            return Int((e.lockedUntil - now + 999_999_999) / 1_000_000_000)
        }
    }

    public func failed(_ client: String) {
        entries.withLock { all in
            // Read under the lock: a time read before it could be older than an entry's.
            let now = monotonicNanos()
            var e = all[client] ?? Entry(failures: 0, lockedUntil: 0, last: now)
            if now &- e.last > UInt64(Self.forgetAfterSeconds) * 1_000_000_000 { e.failures = 0 }
            e.failures += 1
            e.last = max(e.last, now)
            if e.failures >= Self.freeFailures {
                let seconds = min(Self.maxLockoutSeconds, 1 << min(16, e.failures - Self.freeFailures))
                e.lockedUntil = now + UInt64(seconds) * 1_000_000_000
            }
            all[client] = e
            if all.count > Self.capacity {
                // The least recently failing tenth goes, not every address's lockout.
                let keep = all.sorted { $0.value.last > $1.value.last }.prefix(Self.capacity * 9 / 10)
                all = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
            }
        }
    }

    public func succeeded(_ client: String) {
        entries.withLock { _ = $0.removeValue(forKey: client) }
    }
}
