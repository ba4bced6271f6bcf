/// What a client may do once authenticated.
public enum Role: Int, Comparable, Sendable {
    case none = 0, reader = 1, planner = 2
    public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
}

/// Server settings, with safe defaults: loopback only, bounded requests and connections.
public struct ServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 6380
    public var limits = RESPLimits()
    public var maxConnections = 1024
    /// Seconds a connection may stay silent before it is closed; 0 keeps it forever.
    public var idleTimeout: Int64 = 300
    /// Seconds a request may take to arrive whole from its first byte. Bytes trickled one at
    /// a time keep a connection from being idle, not a half-sent request from being dropped.
    public var frameTimeout: Int64 = 10
    /// Seconds a client has to authenticate when a password is set. At the connection limit,
    /// the oldest client that has not authenticated makes room for a new one, so clients that
    /// never authenticate cannot keep out those that do.
    public var authTimeout: Int64 = 5
    /// Password of the `default` user (reader role). When set, an unauthenticated client may
    /// only run AUTH, HELLO, PING and QUIT.
    public var readerPassword: String?
    /// Password of the `planner` user, needed for write commands (RELOAD, and the planning
    /// commands to come).
    public var plannerPassword: String?
    /// Failed authentications per client address, shared by every copy of this configuration
    /// (RESP's and HTTP's), so that guessing over one protocol is slowed on both.
    public let authThrottle = AuthThrottle()

    public init() {}

    /// The role granted by `AUTH [user] password`, or nil. Every configured password is
    /// compared, in constant time, whichever matches.
    public func authenticate(user: String?, password: [UInt8]) -> Role? {
        var granted: Role? = nil
        let name = user ?? "default"
        if let p = readerPassword, constantTimeEqual(Array(p.utf8), password), name == "default" || name == "reader" {
            granted = .reader
        }
        if let p = plannerPassword, constantTimeEqual(Array(p.utf8), password),
            name == "planner" || (user == nil && readerPassword == nil)
        {
            granted = .planner
        }
        return granted
    }

    /// The role of a client that has not authenticated.
    public var initialRole: Role {
        if readerPassword != nil { return .none }
        return plannerPassword != nil ? .reader : .planner
    }
}

/// Compares without an early exit, so the time taken says nothing about where two passwords
/// first differ. Lengths are folded into the result, not branched on.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var diff = UInt64(a.count ^ b.count)
    let n = max(a.count, b.count)
    for i in 0..<n {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0
        diff |= UInt64(x ^ y)
    }
    return diff == 0
}
