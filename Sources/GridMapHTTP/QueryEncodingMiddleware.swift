import Hummingbird

/// A query whose percent-encoded bytes are not UTF-8 (`?q=%FF`, or raw bytes of another
/// encoding, which `ConnectionGuard` percent-encodes) is refused with the usual JSON error
/// naming the parameter, rather than read as something the client did not send.
struct QueryEncodingMiddleware: RouterMiddleware {
    typealias Context = GridMapRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if let query = request.uri.query, let name = Self.firstNonUTF8(query) {
            return HTTPRefusal(.badEncoding, "query parameter '\(name.prefix(40))' is not UTF-8 text; send text "
                               + "as UTF-8 (raw or percent-encoded)").response
        }
        return try await next(request, context)
    }

    /// The name of the first parameter (or name) whose decoded bytes are not UTF-8, or nil.
    static func firstNonUTF8(_ query: String) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decoded(parts[0])
            if name == nil { return String(parts[0]) }
            if parts.count > 1, decoded(parts[1]) == nil { return name }
        }
        return nil
    }

    /// Percent-decoded (and `+` as a space) as UTF-8 text, or nil when the bytes are not UTF-8.
    static func decoded(_ text: Substring) -> String? {
        let raw = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            if raw[i] == UInt8(ascii: "%"), i + 2 < raw.count, let hi = CanonicalPath.hex(raw[i + 1]),
               let lo = CanonicalPath.hex(raw[i + 2]) {
                bytes.append(hi << 4 | lo)
                i += 3
            } else {
                bytes.append(raw[i] == UInt8(ascii: "+") ? 0x20 : raw[i])
                i += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
