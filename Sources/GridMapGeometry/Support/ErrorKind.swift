/// Whose fault a failure is and what a client can do about it: the one idea of an error that
/// every skin maps (RESP's `-ERR`, an HTTP status, the CLI's exit status), each in one place.
/// Modelled on Hummingbird's `HTTPResponseError`: an error knows its kind; an error that
/// does not is the server's fault (`internal`), never the client's.
public enum ErrorKind: String, Sendable, CaseIterable {
    /// The request is wrong: a bad number, an unknown CRS, an invalid polygon.
    case badRequest = "bad_request"
    /// It names something that does not exist: a grid, a draft, a version.
    case notFound = "not_found"
    /// It was right once, but the state moved on: a stale publish, a conflicting draft.
    case conflict
    /// The caller's role may not do this.
    case forbidden
    /// The server cannot do it now (loading, throttled, the store unusable); try later.
    case unavailable
    /// The server failed (an I/O error, a library failure): not the client's fault.
    case `internal`
}

/// An engine error that says what kind it is, with a stable code clients can branch on.
public protocol KindedError: Error, CustomStringConvertible {
    var kind: ErrorKind { get }
    /// A stable lowercase code (`unknown_grid`, `stale_version`, `store_unusable`, …).
    var code: String { get }
    /// What a person can act on.
    var message: String { get }
}

extension KindedError {
    public var description: String { message }
}

extension Error {
    /// This error's kind: its own when it declares one, otherwise `internal`.
    public var errorKind: ErrorKind { (self as? any KindedError)?.kind ?? .internal }
    /// This error's stable code: its own when it declares one, otherwise `internal`.
    public var errorCode: String { (self as? any KindedError)?.code ?? "internal" }
    /// This error's message for a client.
    public var errorMessage: String { (self as? any KindedError)?.message ?? "\(self)" }
}
