import Foundation
import GridMapCore
import GridMapTestSupport
import GridMapHTTP
import GridMapServer
import Testing

/// What `gridmap serve --help` says each default is, is the value the server runs with: each
/// default is defined once, in the configuration the skins read.
@Suite struct DefaultsTests {
    @Test func serveHelpShowsTheDefaultsInForce() throws {
        let help = try gridmap(["serve", "--help"]).out.replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
        func shown(_ option: String) -> String? {
            guard let start = help.range(of: "--\(option) <") else { return nil }
            let rest = help[start.upperBound...]
            guard let d = rest.range(of: "(default: "), let end = rest[d.upperBound...].firstIndex(of: ")") else {
                return nil
            }
            // The default of this option, not of a later one.
            guard !rest[..<d.lowerBound].contains("--") || rest[..<d.lowerBound].firstRange(of: " --") == nil
            else { return nil }
            return String(rest[d.upperBound..<end])
        }
        let resp = ServerConfig(), http = HTTPConfig(), limits = RESPLimits()
        let expected: [(String, String)] = [
            ("host", resp.host), ("port", "\(resp.port)"), ("max-connections", "\(resp.maxConnections)"),
            ("idle-timeout", "\(resp.idleTimeout)"), ("frame-timeout", "\(resp.frameTimeout)"),
            ("auth-timeout", "\(resp.authTimeout)"), ("max-request-bytes", "\(limits.maxRequestBytes)"),
            ("max-array-length", "\(limits.maxArrayLength)"), ("http-port", "\(http.port)"),
            ("http-host", http.host), ("http-request-timeout", "\(http.requestTimeout)"),
            ("http-keepalive-timeout", "\(http.keepAliveTimeout)"), ("leaflet", http.leafletDirectory),
            ("asof-cache", "\(MapService.defaultAsOfCapacity)"),
        ]
        for (option, value) in expected {
            #expect(shown(option) == value, "--\(option): help says \(shown(option) ?? "nothing"), in force \(value)")
        }
    }
}
