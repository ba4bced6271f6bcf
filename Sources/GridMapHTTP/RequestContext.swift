import GridMapCore
import Hummingbird
import NIOCore
import GridMapPlanning

/// What an endpoint knows of a request beyond the request: who sent it (failed sign-ins are
/// counted by address) and the role it was granted, which decides what an error may show.
struct GridMapRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's IP address, or "unknown" (a Unix socket).
    let client: String
    /// The connection: credentials the access check grants mark it authenticated.
    let channel: any Channel
    /// Set by `AccessMiddleware` once the credentials are checked.
    var role: Role = .none
    /// The user the credentials named, recorded as the author of what the request publishes.
    var user: String?
    /// The canonical path asked for, for log lines.
    var path: String = ""

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        client = source.channel.remoteAddress?.ipAddress ?? "unknown"
        channel = source.channel
    }

    /// No endpoint takes more (a planner's layer); Hummingbird's own limit stays in step. Each
    /// endpoint collects its body up to its own limit (`HTTPConfig`).
    var maxUploadSize: Int { HTTPConfig.maxPlanningBodyBytes }
}
