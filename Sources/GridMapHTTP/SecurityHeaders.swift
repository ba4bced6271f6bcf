import Foundation
import HTTPTypes
import Hummingbird

/// Headers on every reply that keep the pages harder to abuse: scripts, styles and data only
/// from this server (no inline script, so injected markup cannot run), base-map tiles also
/// from the configured tile server, no framing by another page, no MIME sniffing, and the
/// Referer kept to this site.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = GridMapRequestContext
    let policy: String

    init(tileURL: String?) {
        policy = Self.contentSecurityPolicy(tileURL: tileURL)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = policy
        response.headers[Self.frameOptions] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.referrerPolicy] = "same-origin"
        return response
    }

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!

    /// The policy, with the tile server's origin (if any) among the image sources.
    static func contentSecurityPolicy(tileURL: String?) -> String {
        var images = "'self' data: blob:"
        // The tile URL's scheme and authority as a CSP source; Leaflet's {s} subdomains as *.
        if let tileURL, let scheme = tileURL.range(of: "://") {
            let rest = tileURL[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" }.replacingOccurrences(of: "{s}", with: "*")
            if !authority.isEmpty, authority.allSatisfy({ $0.isLetter || $0.isNumber || ".-:*[]".contains($0) }) {
                images += " " + tileURL[..<scheme.upperBound] + authority
            }
        }
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src \(images); connect-src 'self'; "
            + "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    }
}
