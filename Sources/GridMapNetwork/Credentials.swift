import GridMapCases
import GridMapCore
import GridMapGeometry
import GridMapModel
import GridMapStore

/// Who may do what, the same for every skin: the `default` (or `reader`) user with the reader
/// password, the `planner` user with the planner's. RESP's `AUTH` and HTTP Basic both ask here.
public struct Credentials: Sendable {
    /// Password of the `default` user (reader role). When set, an unauthenticated client may
    /// only authenticate (RESP: AUTH, HELLO, PING, QUIT; HTTP: `/healthz`, `/readyz`, the page).
    public var readerPassword: String?
    /// Password of the `planner` user, needed for planning and RELOAD.
    public var plannerPassword: String?
    /// Failed authentications, shared by every copy of these credentials (RESP's and HTTP's),
    /// so that guessing over one protocol is slowed on both.
    public let throttle = AuthThrottle()
    /// The store's accounts (`gridmap users`), when the server keeps a case log.
    public var accounts: (any AccountDirectory)?
    /// The author a version or draft is recorded under when nobody signed in by name.
    public static let anonymousAuthor = "gridmap"

    /// The author recorded on what a planner opens or publishes: the name they give (the CLI's
    /// `--author`, the page's 作者 field: 1 to 100 characters, attribution only: the role still
    /// decides what they may do), else who signed in, else `anonymousAuthor`.
    public static func author(named: String?, user: String?) throws -> String {
        guard let named = named?.trimmingCharacters(in: .whitespacesAndNewlines), !named.isEmpty else {
            return user ?? anonymousAuthor
        }
        // Shown in histories and logs: no line breaks, tabs, escapes or direction overrides.
        let hidden = named.unicodeScalars.contains {
            [.control, .format, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory)
        }
        guard named.count <= 100, !hidden else {
            throw RequestError("an author is 1 to 100 characters on one line, without control characters",
                               code: .badAuthor)
        }
        return named
    }

    public init(readerPassword: String? = nil, plannerPassword: String? = nil) {
        self.readerPassword = readerPassword
        self.plannerPassword = plannerPassword
    }

    /// Whether any password is set (else every client is a planner, on loopback by default).
    public var required: Bool { readerPassword != nil || plannerPassword != nil }

    /// The role of a client that has not authenticated.
    public var initialRole: Role {
        if readerPassword != nil { return .none }
        return plannerPassword != nil ? .reader : .planner
    }

    /// The role `user` (nil: the default user) gets with `password`, or nil. Every configured
    /// password is compared, in constant time, whichever matches.
    public func role(user: String?, password: [UInt8]) -> Role? {
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
        if granted == nil, let user, !CaseLog.builtInNames.contains(user.lowercased()), let accounts {
            granted = accounts.grant(name: user, secret: password)
        }
        return granted
    }

    /// Checks `user`'s `password` from `client`, throttled. Counted per address and user:
    /// guesses at the planner's password from an office's shared address lock that user out
    /// there, not its readers (the names are few, so this multiplies a guesser's rate by three
    /// at most).
    public func authenticate(user: String?, password: [UInt8], from client: String) -> AuthOutcome {
        let key = client + "|" + (user ?? "default")
        if let wait = throttle.retryAfter(key) { return .throttled(seconds: wait) }
        guard let role = role(user: user, password: password) else {
            throttle.failed(key)
            return .denied
        }
        throttle.succeeded(key)
        return .granted(role)
    }

    /// The name a signed-in client's work is recorded under: the user it named, else
    /// `planner` for the planner's password given alone, else the default user.
    public func userName(_ user: String?, role: Role) -> String {
        user ?? (role == .planner && readerPassword == nil ? "planner" : "default")
    }
}

/// Compares without an early exit, so the time taken says nothing about where two passwords
/// first differ. Lengths are folded into the result, not branched on.
package func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var diff = UInt64(a.count ^ b.count)
    let n = max(a.count, b.count)
    for i in 0..<n {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0
        diff |= UInt64(x ^ y)
    }
    return diff == 0
}
