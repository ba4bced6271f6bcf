import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

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
