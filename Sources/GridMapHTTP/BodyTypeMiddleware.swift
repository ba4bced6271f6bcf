import HTTPTypes
import Hummingbird

/// A body is read only as the type it is: JSON only as `application/json`. The HTML form
/// encodings and `text/plain`, which a page on another site can make a browser send without
/// asking first (no CORS preflight), are refused with 415 unless the route documents them, so
/// a form can never pass for a planning request. Runs after `AccessMiddleware` (a body too
/// large is 413, a client not signed in 401, before its type matters).
struct BodyTypeMiddleware: RouterMiddleware {
    typealias Context = GridMapRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if !CrossSiteMiddleware.safeMethods.contains(request.method) {
            let path = context.endpointPath ?? request.uri.path
            if let refusal = Self.refusal(request.headers[.contentType], length: request.headers[.contentLength],
                                          accepted: Self.bodyTypes(path)) {
                return refusal.response
            }
        }
        return try await next(request, context)
    }

    /// The media types a route's body may have: JSON everywhere; `/api/area` also takes WKT
    /// or GeoJSON as the text it documents.
    static func bodyTypes(_ path: String) -> Set<String> {
        // Open311's POST is form-encoded by its specification; it carries its own key and the
        // cross-site check has already refused other sites' browsers.
        if path == Open311Routes.requestsEndpoint { return ["application/x-www-form-urlencoded"] }
        return path == "/api/area" ? ["application/json", "application/geo+json", "text/plain"] : ["application/json"]
    }

    /// 415 for a body of a type the route does not read; a body without a type is refused too
    /// (it would be read as JSON), an empty one without a type is no parameters at all.
    static func refusal(_ contentType: String?, length: String?, accepted: Set<String>) -> HTTPRefusal? {
        let expected = accepted.sorted().joined(separator: " or ")
        guard let contentType else {
            guard let length, let n = Int(length.trimmingCharacters(in: .whitespaces)), n > 0 else { return nil }
            return HTTPRefusal(.unsupportedMediaType, "a request body needs a Content-Type: \(expected)")
        }
        let media = contentType.split(separator: ";", maxSplits: 1).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard accepted.contains(media) else {
            return HTTPRefusal(.unsupportedMediaType, "this route reads \(expected), not '\(media.prefix(60))'")
        }
        return nil
    }
}
