import GridMapCore
import NIOCore
import Synchronization

/// Every open connection of the process, RESP's and HTTP's alike, against one limit: so that
/// shutdown can drain them, and so that at the limit the oldest connection that has not
/// authenticated makes room for a new one. Clients that never authenticate (or never finish
/// a request) therefore cannot keep out those that do, on either protocol.
public final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        /// The connections not yet authenticated, with when each arrived.
        var unauthenticated: [ObjectIdentifier: UInt64] = [:]
    }
    private let state = Mutex(State())
    public let limit: Int
    /// Connections open at once, RESP's and HTTP's together, unless `--max-connections` says.
    public static let defaultLimit = 1024

    public init(limit: Int) { self.limit = max(1, limit) }

    /// Counts a new connection in; at the limit, closes the oldest unauthenticated one to make
    /// room. False (the caller refuses the connection) when every connection is authenticated.
    public func admit(_ c: any Channel, authenticated: Bool) -> Bool {
        let outcome: (admitted: Bool, victim: (any Channel)?) = state.withLock { s in
            var victim: (any Channel)?
            if s.channels.count >= limit {
                guard let oldest = s.unauthenticated.min(by: { $0.value < $1.value })?.key else {
                    return (false, nil)
                }
                s.unauthenticated[oldest] = nil
                victim = s.channels.removeValue(forKey: oldest)
            }
            s.channels[ObjectIdentifier(c)] = c
            if !authenticated { s.unauthenticated[ObjectIdentifier(c)] = monotonicNanos() }
            return (true, victim)
        }
        outcome.victim?.close(promise: nil)
        return outcome.admitted
    }

    public func remove(_ c: any Channel) {
        state.withLock {
            _ = $0.channels.removeValue(forKey: ObjectIdentifier(c))
            _ = $0.unauthenticated.removeValue(forKey: ObjectIdentifier(c))
        }
    }

    /// Marks a connection authenticated: it is no longer the first to make room.
    public func authenticated(_ c: any Channel) {
        state.withLock { _ = $0.unauthenticated.removeValue(forKey: ObjectIdentifier(c)) }
    }

    public var count: Int { state.withLock { $0.channels.count } }
    public var all: [any Channel] { state.withLock { Array($0.channels.values) } }
}
