import GridMapCore
import GridMapNetwork
import GridMapPlanning

/// RESP server settings, with safe defaults: loopback only, bounded requests and connections.
/// Each default is defined here once; `gridmap serve --help` shows these values.
public struct ServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 6380
    public var limits = RESPLimits()
    public var maxConnections = ConnectionRegistry.defaultLimit
    /// Seconds a connection may stay silent before it is closed; 0 keeps it forever.
    public var idleTimeout: Int64 = 300
    /// Seconds a request may take to arrive whole from its first byte. Bytes trickled one at
    /// a time keep a connection from being idle, not a half-sent request from being dropped.
    public var frameTimeout: Int64 = 10
    /// Seconds a client has to authenticate when a password is set. At the connection limit,
    /// the oldest client that has not authenticated makes room for a new one, so clients that
    /// never authenticate cannot keep out those that do.
    public var authTimeout: Int64 = 5
    /// Who may do what: the engine's users and passwords, shared with HTTP.
    public var credentials = Credentials()

    public init() {}
}
