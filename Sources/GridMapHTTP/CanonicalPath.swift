import Hummingbird

/// The one form of a request path that routing and access both see. A path reaches the
/// router only in this form, so that no spelling of a path (`//api/plan`, `/./api/plan`,
/// `/api%2Fplan`, `/api/plan/`) can be routed to an endpoint while passing a check made on
/// another spelling:
/// - percent-escapes are decoded (`%2F` is a slash, `%41` an A), then re-escaped only where a
///   character cannot stand in a path as it is;
/// - empty and `.` segments are dropped, `..` removes the segment before it;
/// - the result is `/` followed by the segments joined by `/` (no trailing slash).
/// A path that decodes to a NUL or another control character, to invalid UTF-8, or climbs
/// above the root with `..`, names nothing and is refused with 400.
enum CanonicalPath {
    /// The canonical form of `path` (no query), or nil when it is refused.
    static func of(_ path: Substring) -> String? {
        guard path.first == "/" else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(path.utf8.count)
        var it = Array(path.utf8)[...]
        while let b = it.popFirst() {
            guard b == UInt8(ascii: "%") else { bytes.append(b); continue }
            guard it.count >= 2, let hi = hex(it[it.startIndex]), let lo = hex(it[it.startIndex + 1]) else {
                return nil
            }
            it = it.dropFirst(2)
            bytes.append(hi << 4 | lo)
        }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }),
              let decoded = String(validating: bytes, as: UTF8.self) else { return nil }
        var segments: [Substring] = []
        for segment in decoded.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..":
                guard segments.popLast() != nil else { return nil }
            default: segments.append(segment)
            }
        }
        return "/" + segments.map(escape).joined(separator: "/")
    }

    /// A hex digit's value (percent-escapes; `QueryEncodingMiddleware` decodes with it too).
    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 3986 `pchar`s stay as they are; everything else (`?`, `#`, `%`, spaces, non-ASCII)
    /// is escaped, so the canonical path parses back to the same segments.
    private static func escape(_ segment: Substring) -> String {
        var out = ""
        for b in segment.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case _ where "-._~!$&'()*+,;=:@".utf8.contains(b):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 15, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

/// Hands the router each request with its path in canonical form (`CanonicalPath`), or
/// answers 400 for a path that has none. Everything after it (access, routes, files) sees
/// only canonical paths.
struct CanonicalPathResponder<Next: HTTPResponder>: HTTPResponder where Next.Context == GridMapRequestContext {
    let next: Next

    func respond(to request: Request, context: GridMapRequestContext) async throws -> Response {
        let target = request.head.path ?? ""
        let (path, query) = target.firstIndex(of: "?").map { (target[..<$0], target[$0...]) }
            ?? (target[...], target[target.endIndex...])
        guard let canonical = CanonicalPath.of(path) else {
            return HTTPRefusal(.badPath, "the path '\(path.prefix(80))' names nothing: bad escapes, control "
                               + "characters, or '..' above the root", headers: [.connection: "close"]).response
        }
        var context = context
        context.path = canonical
        guard canonical != path else { return try await next.respond(to: request, context: context) }
        var head = request.head
        head.path = canonical + query
        return try await next.respond(to: Request(head: head, body: request.body), context: context)
    }
}
