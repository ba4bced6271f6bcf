import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// Addresses by cell of 0.001° (about 100 m), for the nearest ones to a point.
package struct AddressBuckets: Sendable {
    package static let cell = 0.001
    private let cells: [Int64: [Int32]]
    private let locations: [Coordinate]

    /// The addresses' bounding box: a point farther than the radius from it has none near.
    private let bounds: BoundingBox?

    package init(_ addresses: [Address]) {
        locations = addresses.map(\.location)
        bounds = BoundingBox(locations)
        var cells: [Int64: [Int32]] = [:]
        for (k, p) in locations.enumerated() { cells[AddressBuckets.key(p), default: []].append(Int32(k)) }
        self.cells = cells
    }

    private static func key(_ p: Coordinate) -> Int64 {
        key(Int64((p.x / cell).rounded(.down)), Int64((p.y / cell).rounded(.down)))
    }
    private static func key(_ x: Int64, _ y: Int64) -> Int64 { (x << 32) ^ (y & 0xFFFF_FFFF) }

    /// Indices of the addresses within `radius` metres of `p`, nearest first, at most `limit`.
    package func nearest(_ p: Coordinate, radius: Double, limit: Int) -> [(index: Int, metres: Double)] {
        // Degrees per metre grow without bound toward a pole: the search is kept to the
        // addresses' own box, so a point far from them (or at 90°) costs nothing.
        let m = Metric.metresPerDegree(atLatitude: min(89.9, abs(p.y)))
        let dx = radius / m.lon
        let dy = radius / m.lat
        guard let b = bounds, p.x + dx >= b.minX, p.x - dx <= b.maxX, p.y + dy >= b.minY, p.y - dy <= b.maxY
        else { return [] }
        func cell(_ v: Double) -> Int64 { Int64((v / AddressBuckets.cell).rounded(.down)) }
        let x0 = cell(max(p.x - dx, b.minX)), x1 = cell(min(p.x + dx, b.maxX))
        let y0 = cell(max(p.y - dy, b.minY)), y1 = cell(min(p.y + dy, b.maxY))
        var found: [(index: Int, metres: Double)] = []
        for x in x0...x1 {
            for y in y0...y1 {
                for k in cells[AddressBuckets.key(x, y)] ?? [] {
                    let d = Metric.distance(p, locations[Int(k)])
                    if d <= radius { found.append((Int(k), d)) }
                }
            }
        }
        found.sort { $0.metres != $1.metres ? $0.metres < $1.metres : $0.index < $1.index }
        return Array(found.prefix(limit))
    }
}

/// What a reverse geocode asks, checked the same way by every skin: a radius of 1 to 1,000 m
/// (default 50) and 1 to 100 addresses (default 5).
public struct ReverseGeocodeRequest: Sendable {
    public static let defaultRadius = 50.0
    public static let maxRadius = 1000.0
    public static let defaultLimit = 5
    public static let maxLimit = 100

    public let radius: Double
    public let limit: Int

    public init(radius: Double? = nil, limit: Int? = nil) throws {
        if let radius, !(radius > 0 && radius <= ReverseGeocodeRequest.maxRadius) {
            throw RequestError("radius must be more than 0 and at most \(Int(ReverseGeocodeRequest.maxRadius)) m",
                               code: .outOfRange)
        }
        if let limit, !(1...ReverseGeocodeRequest.maxLimit).contains(limit) {
            throw RequestError("limit must be 1 to \(ReverseGeocodeRequest.maxLimit)", code: .outOfRange)
        }
        self.radius = radius ?? ReverseGeocodeRequest.defaultRadius
        self.limit = limit ?? ReverseGeocodeRequest.defaultLimit
    }
}

extension AddressLibrary {
    /// The standard addresses nearest `p` within the request's radius, nearest first.
    public func nearest(_ p: Coordinate, _ request: ReverseGeocodeRequest) -> [(address: Address, metres: Double)] {
        nearby.nearest(p, radius: request.radius, limit: request.limit).map { (addresses[$0.index], $0.metres) }
    }
}

extension Snapshot {
    /// REVGEOCODE's answer: `{"point":…,"radius_m":…,"addresses":[{address, distance_m, point,
    /// grid},…],"data_version":…}`.
    public func reverseGeocodeJSON(_ p: Coordinate, _ request: ReverseGeocodeRequest) throws -> [UInt8] {
        let found = try addressLibrary.nearest(p, request)
        var out: [UInt8] = []
        out.appendText(#"{"point":{"lon":"#)
        JSONValue.appendNumber(p.x, to: &out)
        out.appendText(#","lat":"#)
        JSONValue.appendNumber(p.y, to: &out)
        out.appendText(#"},"radius_m":"#)
        JSONValue.appendNumber(request.radius, to: &out)
        out.appendText(#","addresses":"#)
        JSONValue.array(found.map { addressJSON($0.address, metres: $0.metres) }).append(to: &out)
        out.append(contentsOf: replyEnding)
        return out
    }

    /// LOCATE's answer with `"address"`: the nearest standard address within the request's
    /// radius (null when none), so that a dispatcher can name a GPS fix.
    public func writeLocation(
        grid g: Int?, point: Coordinate, input: Coordinate?, crs: CRS,
        nearestAddress request: ReverseGeocodeRequest, to out: inout [UInt8]
    ) throws {
        let nearest = try addressLibrary.nearest(point, request).first
        writeLocation(grid: g, point: point, input: input, crs: crs, to: &out) { out in
            out.appendText(#","address":"#)
            (nearest.map { self.addressJSON($0.address, metres: $0.metres) } ?? .null).append(to: &out)
        }
    }

    package func addressJSON(_ a: Address, metres: Double) -> JSONValue {
        let g = grid(id: a.gridID)
        return [
            "address_id": .string(a.id), "address": .string(a.text),
            "distance_m": JSONValue((metres * 10).rounded() / 10),
            "point": ["lon": JSONValue(a.location.x), "lat": JSONValue(a.location.y)],
            "grid": g.map { ["id": .string(a.gridID), "name": .string(dataset.grids[$0].name)] } ?? .null,
        ]
    }
}
