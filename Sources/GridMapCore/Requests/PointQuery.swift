import GridMapGeometry
import GridMapModel
import GridMapStore

/// A point as a request gives it: `lon lat` in a CRS (WGS 84 by default), and optionally the
/// moment or version to answer as of. Every skin makes one from its syntax; the CRS, the
/// conversion (PROJ only where needed) and the version are resolved here, once.
public struct PointQuery: Sendable {
    /// The coordinates as given, in `crsName`'s CRS.
    public let input: Coordinate
    public let crsName: String?
    public let asOf: String?

    public init(lon: Double, lat: Double, crs: String? = nil, asOf: String? = nil) {
        input = Coordinate(lon, lat)
        crsName = crs
        self.asOf = asOf
    }

    /// From text parameters, either of which may be missing (said so by name).
    public init(lon: String?, lat: String?, crs: String? = nil, asOf: String? = nil) throws {
        let x = try Parameter.number(try Parameter.required(lon, "lon", "give lon and lat"), "longitude")
        let y = try Parameter.number(try Parameter.required(lat, "lat", "give lon and lat"), "latitude")
        self.init(lon: x, lat: y, crs: crs, asOf: asOf)
    }

    /// The CRS named, checked.
    public func crs() throws -> CRS { try crsName.map { try CRS(parsing: $0) } ?? .wgs84 }

    /// Whether converting would set PROJ up on this thread (milliseconds): a server then
    /// converts off its event loop.
    public var needsSetUp: Bool { crsName.map { !ThreadResources.current.isReady(forCRSNamed: $0) } ?? false }

    /// The point in WGS 84, with this thread's converter; WGS 84, GCJ-02 and BD-09 need no PROJ.
    public func wgs84() throws -> Coordinate {
        let crs = try crs()
        if crs == .wgs84 { try CoordinateConverter.check(input, crs); return input }
        return try CoordinateConverter.toWGS84WithoutPROJ(input, from: crs)
            ?? ThreadResources.current.converter.toWGS84(input, from: crs)
    }

    /// The version to answer from: the one `asOf` names, else the live one.
    public func snapshot(_ map: MapView) throws -> Snapshot { try map.snapshot(asOf: asOf) }

    /// Whether answering needs nothing set up or built: the CRS is ready and the version at hand.
    public func isQuick(_ map: MapView) -> Bool {
        !needsSetUp && map.isAtHand(asOf: asOf)
    }
}
