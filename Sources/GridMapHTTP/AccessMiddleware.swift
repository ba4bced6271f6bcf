import Foundation
import GridMapServer
import Hummingbird

/// RESP's roles over HTTP: Basic credentials (`reader`/`default` or `planner`, the RESP
/// passwords) grant a role; without them a client has RESP's unauthenticated role. The health
/// endpoints and the page's files need none, so an orchestrator can probe and a browser can
/// load the page before it asks for credentials; the API needs the reader role.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: ServerConfig
    static var open: Set<String> { ["/healthz", "/readyz", "/metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > HTTPConfig.maxBodyBytes {
            return Reply.error(.contentTooLarge,
                               "the request body is \(length) bytes; at most \(HTTPConfig.maxBodyBytes)")
        }
        let path = request.uri.path
        guard path.hasPrefix("/api/"), !Self.open.contains(path) else { return try await next(request, context) }
        var role = access.initialRole
        if let header = request.headers[.authorization] {
            guard let granted = credentials(header).flatMap({ access.authenticate(user: $0.user, password: $0.pass) })
            else { return challenge("wrong user or password") }
            role = granted
        }
        let needed: Role = path.hasPrefix("/api/plan/") ? .planner : .reader
        guard role >= needed else {
            return role == .none || needed == .reader ? challenge("sign in: this needs the \(needed) role")
                : Reply.error(.forbidden, "this needs the planner role")
        }
        return try await next(request, context)
    }

    private func credentials(_ header: String) -> (user: String, pass: [UInt8])? {
        guard header.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let colon = data.firstIndex(of: UInt8(ascii: ":"))
        else { return nil }
        return (String(decoding: data[..<colon], as: UTF8.self), Array(data[(colon + 1)...]))
    }

    private func challenge(_ message: String) -> Response {
        var r = Reply.error(.unauthorized, message)
        r.headers[.wwwAuthenticate] = #"Basic realm="gridmap", charset="UTF-8""#
        return r
    }
}
