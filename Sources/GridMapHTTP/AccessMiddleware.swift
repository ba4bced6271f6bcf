import Foundation
import GridMapCore
import GridMapNetwork
import Hummingbird
import GridMapPlanning

/// RESP's roles over HTTP: Basic credentials (`reader`/`default` or `planner`, the RESP
/// passwords) grant a role; without them a client has RESP's unauthenticated role. The health
/// endpoints and the page's files need none, so an orchestrator can probe and a browser can
/// load the page before it asks for credentials; `/api` needs the reader role, `/api/plan`
/// the planner's.
///
/// The role needed is decided on the route the router matched (or, for a path no route
/// matches, on the path routed), which `CanonicalPathResponder` made canonical: no other
/// spelling of a path reaches a route. Failed sign-ins are throttled per client address
/// (`AuthThrottle`, shared with RESP): a locked-out address gets 429 and Retry-After without
/// its password being checked.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = GridMapRequestContext
    let credentials: Credentials
    /// Told of every connection whose credentials were granted: it is not the first to make
    /// room at the connection limit.
    let registry: ConnectionRegistry

    /// The role a path needs: the route's pattern or, unrouted, the canonical path.
    static func needed(_ path: String) -> Role {
        func under(_ prefix: String) -> Bool { path == prefix || path.hasPrefix(prefix + "/") }
        if under("/api/plan") { return .planner }
        if under("/api") || under("/open311") { return .reader }
        return .none
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var context = context
        let path = context.endpointPath ?? request.uri.path
        // An Open311 report authenticates by the `api_key` in its form, as the specification
        // says (`Open311Routes`), not by HTTP credentials its clients never send.
        let needed = request.method == .post && path == Open311Routes.requestsEndpoint ? .none : Self.needed(path)
        // A planning body may be a whole layer; it is read only once the planner is signed in.
        let limit = needed == .planner ? HTTPConfig.maxPlanningBodyBytes : HTTPConfig.maxBodyBytes
        if let refusal = Self.bodyRefusal(request.headers[.contentLength], limit: limit) { return refusal.response }
        var role = credentials.initialRole
        if let header = request.headers[.authorization] {
            guard let (user, pass) = basic(header) else { return challenge("malformed Basic credentials") }
            switch credentials.authenticate(user: user, password: pass, from: context.client) {
            case .granted(let granted):
                role = granted
                context.user = credentials.userName(user, role: granted)
                registry.authenticated(context.channel)
            case .denied: return challenge("wrong user or password")
            case .throttled(let seconds):
                return HTTPRefusal(.throttled, "too many failed sign-ins from this address; try again in \(seconds) s",
                                   headers: [.retryAfter: String(seconds)]).response
            }
        }
        context.role = role
        guard role >= needed else {
            return role == .none || needed == .reader ? challenge("sign in: this needs the \(needed) role")
                : HTTPRefusal(.forbidden, "this needs the planner role").response
        }
        return try await next(request, context)
    }

    /// A Content-Length past the limit (413: it is not read), or not a number (400).
    static func bodyRefusal(_ header: String?, limit: Int = HTTPConfig.maxBodyBytes) -> HTTPRefusal? {
        guard let header else { return nil }
        let digits = header.trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return HTTPRefusal(.badRequest, "Content-Length '\(header.prefix(30))' is not a number",
                               headers: [.connection: "close"])
        }
        if digits.count > 18 || Int(digits)! > limit { return HTTPRefusal.tooLarge(limit) }
        return nil
    }

    private func basic(_ header: String) -> (user: String, pass: [UInt8])? {
        guard header.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let colon = data.firstIndex(of: UInt8(ascii: ":"))
        else { return nil }
        return (String(decoding: data[..<colon], as: UTF8.self), Array(data[(colon + 1)...]))
    }

    private func challenge(_ message: String) -> Response {
        var r = HTTPRefusal(.unauthorized, message).response
        r.headers[.wwwAuthenticate] = #"Basic realm="gridmap", charset="UTF-8""#
        return r
    }
}
