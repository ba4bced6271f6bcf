import GridMapCases

/// What a client may do once authenticated.
public enum Role: Int, Comparable, Sendable, CustomStringConvertible {
    case none = 0, reader = 1, planner = 2
    public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
    public var description: String { ["none", "reader", "planner"][rawValue] }
}

/// What an authentication attempt came to.
public enum AuthOutcome: Sendable, Equatable {
    case granted(Role)
    case denied
    /// Too many failures from this address: try again in this many seconds.
    case throttled(seconds: Int)
}

/// Accounts kept in the store, asked for any name that is not a built-in user's.
public protocol AccountDirectory: AnyObject, Sendable {
    /// The role `name` gets with `secret`, or nil (unknown, disabled, or the wrong secret).
    func grant(name: String, secret: [UInt8]) -> Role?
}
