import Foundation
import GridMapCore
import GridMapTestSupport
import GridMapHTTP
import GridMapRESP
import Testing
import GridMapStores
import GridMapPlanning

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

    /// Each command's help gives the engine's defaults and limits, not numbers of its own.
    @Test func commandHelpShowsTheEnginesLimits() throws {
        func help(_ args: [String]) throws -> String {
            try gridmap(args + ["--help"]).out.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
        }
        let rules = ValidationRules()
        let expected: [([String], [String])] = [
            (["nearby"], ["1 to \(NearbyRequest.maxLimit)", "default: \(NearbyRequest.defaultLimit)",
                          "\(NearbyRequest.defaultLimitWithinRadius) within a radius",
                          "at most \(Int(NearbyRequest.maxRadius))"]),
            (["reverse"], ["within \(Int(ReverseGeocodeRequest.defaultRadius)) m",
                           "1 to \(ReverseGeocodeRequest.maxLimit)", "at most \(Int(ReverseGeocodeRequest.maxRadius))"]),
            (["geocode"], ["1 to \(GeocodeRequest.maxLimit)", "default: \(GeocodeRequest.defaultLimit)"]),
            (["store", "versions"], ["1 to \(VersionsRequest.maxLimit)", "default \(VersionsRequest.defaultLimit)"]),
            (["area"], ["at most \(Int(AreaRequest.maxRadius)) m"]),
            (["plan", "validate"], ["default \(Int(rules.sliverArea))",
                                    "default \(rules.households.lowerBound)-\(rules.households.upperBound)"]),
        ]
        for (command, phrases) in expected {
            let text = try help(command)
            for phrase in phrases {
                #expect(text.contains(phrase), "gridmap \(command.joined(separator: " ")) --help lacks '\(phrase)'")
            }
        }
        // And the values in force are those: a request given nothing takes the defaults.
        #expect(try VersionsRequest(limit: nil).limit == VersionsRequest.defaultLimit)
        #expect(try GeocodeRequest("x").limit == GeocodeRequest.defaultLimit)
        #expect(try ReverseGeocodeRequest().radius == ReverseGeocodeRequest.defaultRadius)
        let p = PointQuery(lon: 109.4, lat: 24.3)
        #expect(try NearbyRequest(p).limit == NearbyRequest.defaultLimit)
        #expect(try NearbyRequest(p, radius: 10).limit == NearbyRequest.defaultLimitWithinRadius)
    }
}
