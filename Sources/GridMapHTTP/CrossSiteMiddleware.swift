import Foundation
import GridMapCore
import HTTPTypes
import Hummingbird
import GridMapPlanning

/// Refuses what a page on another site can make a browser send (see docs/DEPLOY.md):
///
/// - **A Host that is not this server's**, where no password guards it (a client needs no
///   credentials for some role): a page on `attacker.example` whose name the attacker points
///   at 127.0.0.1 (DNS rebinding) would otherwise read and drive the API as same-origin.
///   421 Misdirected Request.
/// - **A state-changing request from another origin** (any method but GET, HEAD, OPTIONS):
///   browsers resend HTTP Basic credentials they hold on a form another site submits, and an
///   unguarded server needs none. Its `Origin` (else its `Referer`; else a `Sec-Fetch-Site`
///   of `cross-site` or `same-site`) must be this server's own (the origin of its Host) or one
///   given with `--allowed-origin`. A client that sends none of the three is not a browser
///   acting for a page (curl, scripts, other services) and is served. 403 `cross_site`.
///
/// It runs before `AccessMiddleware`, so a forged request is refused whoever's credentials
/// the browser attached, and before any body is read (`BodyTypeMiddleware` checks the body's type).
struct CrossSiteMiddleware: RouterMiddleware {
    typealias Context = GridMapRequestContext
    let policy: SitePolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let host = request.head.authority
        if let refusal = policy.hostRefusal(host) { return refusal.response }
        if !Self.safeMethods.contains(request.method) {
            let headers = request.headers
            if let reason = policy.crossSiteReason(host: host, origin: headers[.origin], referer: headers[.referer],
                                                   fetchSite: headers[Self.secFetchSite]) {
                return HTTPRefusal(.crossSite, "refused a request from another site: \(reason)").response
            }
        }
        return try await next(request, context)
    }

    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}

/// Which Host names and which origins a server answers for: decided once at start from the
/// address it listens on, its passwords and the `--allowed-host`/`--allowed-origin` options.
struct SitePolicy: Sendable {
    /// Whether Host is checked: only where some role needs no password.
    let checksHost: Bool
    /// Names and address literals (lowercase, IPv6 without brackets) served when Host is checked.
    let hosts: Set<String>
    /// Whether every loopback name and address counts as this server's (bound to loopback or
    /// to every address).
    let loopback: Bool
    /// Origins besides the server's own, as `scheme://host[:port]`, lowercase.
    let origins: Set<String>

    init(bindAddress: String, open: Bool, allowedHosts: [String], allowedOrigins: [String]) {
        checksHost = open
        origins = Set(allowedOrigins.compactMap { WebOrigin($0)?.serialized })
        var hosts = Set(allowedHosts.map { Self.hostName($0) })
        let bound = Self.hostName(bindAddress)
        let anyAddress = ["0.0.0.0", "::", ""].contains(bound)
        loopback = anyAddress || Self.isLoopback(bound)
        if anyAddress {
            hosts.formUnion(Self.interfaceAddresses())
            if let name = Self.machineName() { hosts.insert(name) }
        } else {
            hosts.insert(bound)
        }
        self.hosts = hosts
    }

    /// 421 for a Host that is not one of this server's names (none sent, as HTTP/1.0 may: served).
    func hostRefusal(_ authority: String?) -> HTTPRefusal? {
        guard checksHost, let authority, !authority.isEmpty else { return nil }
        let name = Self.hostName(Self.splitAuthority(authority).host)
        if hosts.contains(name) || (loopback && Self.isLoopback(name)) { return nil }
        return HTTPRefusal(.unknownHost, "this server does not answer for Host '\(authority.prefix(80))': it has no "
                               + "password, so it serves only the names of the address it listens on; start it with "
                               + "--allowed-host NAME (or a password) to serve another name")
    }

    /// Why a state-changing request comes from another site, or nil when it does not.
    func crossSiteReason(host: String?, origin: String?, referer: String?, fetchSite: String?) -> String? {
        if let origin {
            let trimmed = origin.trimmingCharacters(in: .whitespaces)
            if trimmed == "null" { return "its Origin is 'null' (a sandboxed frame or a local file)" }
            guard let o = WebOrigin(trimmed) else { return "its Origin '\(origin.prefix(80))' is not an origin" }
            return allows(o, host: host) ? nil : "Origin '\(o.serialized.prefix(80))' is not this server's origin "
                + "nor one given with --allowed-origin"
        }
        if let referer {
            guard let o = WebOrigin(referer) else { return "its Referer '\(referer.prefix(80))' is not a URL" }
            return allows(o, host: host) ? nil : "Referer '\(o.serialized.prefix(80))' is not this server's origin "
                + "nor one given with --allowed-origin"
        }
        if let site = fetchSite?.lowercased(), site == "cross-site" || site == "same-site" {
            return "Sec-Fetch-Site: \(site)"
        }
        return nil
    }

    /// The server's own origin is the one the browser addressed: Host's name and port (by
    /// either scheme, for a TLS proxy in front).
    private func allows(_ o: WebOrigin, host: String?) -> Bool {
        if origins.contains(o.serialized) { return true }
        guard let host, !host.isEmpty else { return false }
        let (name, port) = Self.splitAuthority(host)
        return Self.hostName(name) == o.host && (port ?? WebOrigin.defaultPort(o.scheme)) == o.port
    }

    /// `name[:port]` or `[v6]:port` → the name and the port.
    static func splitAuthority(_ authority: String) -> (host: String, port: Int?) {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let rest = authority[authority.index(after: close)...]
            return (String(authority[..<authority.index(after: close)]),
                    rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        if let colon = authority.lastIndex(of: ":"), authority.firstIndex(of: ":") == colon {
            return (String(authority[..<colon]), Int(authority[authority.index(after: colon)...]))
        }
        return (authority, nil)
    }

    /// Lowercase, brackets and a final dot removed: how names are compared.
    static func hostName(_ s: String) -> String {
        var h = s.trimmingCharacters(in: .whitespaces).lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h.hasSuffix(".") { h.removeLast() }
        return h
    }

    /// `localhost`, `*.localhost` (browsers resolve both to loopback themselves), 127.0.0.0/8, ::1.
    static func isLoopback(_ name: String) -> Bool {
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    static func interfaceAddresses() -> Set<String> {
        var result = Set<String>()
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return result }
        defer { freeifaddrs(list) }
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else {
                continue
            }
            // A link-local IPv6 address comes with its zone ("%eth0"), which no Host carries.
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            result.insert(hostName(String(text.split(separator: "%").first ?? "")))
        }
        return result
    }

    static func machineName() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        let name = hostName(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        return name.isEmpty ? nil : name
    }
}

/// A web origin (`scheme://host[:port]`) read from an Origin header, a Referer URL or an
/// `--allowed-origin` value; only http and https have one worth comparing.
struct WebOrigin: Sendable, Hashable {
    let scheme: String
    let host: String
    let port: Int

    init?(_ text: String) {
        guard let url = URLComponents(string: text.trimmingCharacters(in: .whitespaces)),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else { return nil }
        self.scheme = scheme
        self.host = SitePolicy.hostName(host)
        port = url.port ?? Self.defaultPort(scheme)
    }

    static func defaultPort(_ scheme: String) -> Int { scheme == "https" ? 443 : 80 }

    var serialized: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == Self.defaultPort(scheme) ? "\(scheme)://\(name)" : "\(scheme)://\(name):\(port)"
    }
}
