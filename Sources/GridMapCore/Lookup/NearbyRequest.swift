/// A lookup asked for something the data or the limits do not allow; the message says what.
public struct LookupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a NEARBY asks, checked the same way by every skin (RESP, CLI, HTTP): a kind this
/// version has, a radius of 0 to 100 km, and 1 to 1,000 results, by default the 5 nearest or,
/// within a radius, up to 100.
public struct NearbyRequest: Sendable {
    public static let maxRadius = 100_000.0
    public static let maxLimit = 1000
    public static let defaultLimit = 5
    public static let defaultLimitWithinRadius = 100

    public let kind: String?
    public let radius: Double?
    public let limit: Int

    public init(kind: String?, radius: Double?, limit: Int?, in snapshot: Snapshot) throws {
        if let kind, !snapshot.resources.hasKind(kind) {
            let known = snapshot.resources.kinds.joined(separator: ", ")
            throw LookupError("unknown kind '\(kind.prefix(40))'; known kinds: \(known)")
        }
        if let radius, !(0...NearbyRequest.maxRadius).contains(radius) {
            throw LookupError("radius must be 0 to \(Int(NearbyRequest.maxRadius)) metres")
        }
        if let limit, !(1...NearbyRequest.maxLimit).contains(limit) {
            throw LookupError("limit must be 1 to \(NearbyRequest.maxLimit)")
        }
        self.kind = kind
        self.radius = radius
        self.limit = limit ?? (radius == nil ? NearbyRequest.defaultLimit : NearbyRequest.defaultLimitWithinRadius)
    }
}

extension Snapshot {
    /// NEARBY's answer as UTF-8 JSON appended to `out` (see `writeNearby`).
    public func writeNearby(_ request: NearbyRequest, point: Coordinate, to out: inout [UInt8]) {
        writeNearby(point: point, kind: request.kind, radius: request.radius, limit: request.limit, to: &out)
    }
}
