import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapStores

/// A query or command of the engine, as every skin sends it: it owns its parameters, their
/// defaults, limits and validation (checked when it is made), and writes its answer as JSON.
/// RESP, HTTP and the CLI only translate their syntax into one and the answer into their format.
public protocol MapRequest: Sendable {
    /// Whether `answer` is quick enough for an event loop: nothing to set up (PROJ), build (an
    /// old version, the address library) or overlay (GEOS). Otherwise a server answers it on
    /// a thread of its pool.
    func isQuick(_ map: MapView) -> Bool
    /// The answer, UTF-8 JSON, appended to `out`.
    func answer(_ map: MapView, into out: inout [UInt8]) throws
}

extension MapRequest {
    /// The answer as bytes of its own.
    public func answer(_ map: MapView) throws -> [UInt8] {
        var out: [UInt8] = []
        try answer(map, into: &out)
        return out
    }
}

/// LOCATE: the grid, community, street and workers at a point, with the nearest standard
/// address within `address` metres when asked.
public struct LocateRequest: MapRequest {
    public let point: PointQuery
    public let nearestAddress: ReverseGeocodeRequest?

    public init(_ point: PointQuery, address radius: Double? = nil) throws {
        self.point = point
        nearestAddress = try radius.map { try ReverseGeocodeRequest(radius: $0) }
    }

    public func isQuick(_ map: MapView) -> Bool {
        point.isQuick(map) && (nearestAddress == nil || map.current.addressLibraryIsReady)
    }

    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        let p = try point.wgs84()
        let snapshot = try point.snapshot(map)
        let crs = try point.crs()
        guard let nearestAddress else {
            return snapshot.writeLocation(grid: snapshot.locate(p), point: p, input: point.input, crs: crs, to: &out)
        }
        try snapshot.writeLocation(grid: snapshot.locate(p), point: p, input: point.input, crs: crs,
                                   nearestAddress: nearestAddress, to: &out)
    }
}

/// NEARBY: the nearest resources to a point, of one kind if given, within a radius if given:
/// a radius of 0 to 100 km, 1 to 1,000 results, by default the 5 nearest or, within a radius,
/// up to 100. The kind is checked against the version answering.
public struct NearbyRequest: MapRequest {
    public static let maxRadius = 100_000.0
    public static let maxLimit = 1000
    public static let defaultLimit = 5
    public static let defaultLimitWithinRadius = 100

    public let point: PointQuery
    public let kind: String?
    public let radius: Double?
    public let limit: Int

    public init(_ point: PointQuery, kind: String? = nil, radius: Double? = nil, limit: Int? = nil) throws {
        if let radius, !(0...Self.maxRadius).contains(radius) {
            throw RequestError("radius must be 0 to \(Int(Self.maxRadius)) metres", code: .outOfRange)
        }
        if let limit, !(1...Self.maxLimit).contains(limit) {
            throw RequestError("limit must be 1 to \(Self.maxLimit)", code: .outOfRange)
        }
        self.point = point
        self.kind = kind
        self.radius = radius
        self.limit = limit ?? (radius == nil ? Self.defaultLimit : Self.defaultLimitWithinRadius)
    }

    public func isQuick(_ map: MapView) -> Bool { point.isQuick(map) }

    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        let snapshot = try point.snapshot(map)
        if let kind, !snapshot.resources.hasKind(kind) {
            let known = snapshot.resources.kinds.joined(separator: ", ")
            throw RequestError("unknown kind '\(kind.prefix(40))'; known kinds: \(known)", code: .unknownKind)
        }
        snapshot.writeNearby(point: try point.wgs84(), kind: kind, radius: radius, limit: limit, to: &out)
    }
}

/// REVGEOCODE: the standard addresses nearest a point (`ReverseGeocodeRequest`'s limits).
public struct ReverseRequest: MapRequest {
    public let point: PointQuery
    public let options: ReverseGeocodeRequest

    public init(_ point: PointQuery, radius: Double? = nil, limit: Int? = nil) throws {
        self.point = point
        options = try ReverseGeocodeRequest(radius: radius, limit: limit)
    }

    public func isQuick(_ map: MapView) -> Bool {
        point.isQuick(map) && (try? point.snapshot(map))?.addressLibraryIsReady == true
    }

    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        out += try point.snapshot(map).reverseGeocodeJSON(try point.wgs84(), options)
    }
}

/// GEOCODE (`GeocodeRequest`'s text and limits): candidates for a typed address.
extension GeocodeRequest: MapRequest {
    public func isQuick(_ map: MapView) -> Bool { map.current.addressLibraryIsReady }
    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        out += try map.current.geocodeJSON(self)
    }
}

/// LOCATEADDR: the grid of the best candidate for a typed address.
public struct LocateAddressRequest: MapRequest {
    public let address: GeocodeRequest
    public init(_ text: String) throws { address = try GeocodeRequest(text) }
    public func isQuick(_ map: MapView) -> Bool { map.current.addressLibraryIsReady }
    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        out += try map.current.locateAddressJSON(address)
    }
}

/// INTERSECTS, `/api/area`, `gridmap area`: the grids an area touches, with the share of
/// each. Always off the event loop: a geometry is parsed and overlaid with GEOS.
extension AreaRequest: MapRequest {
    public func isQuick(_ map: MapView) -> Bool { false }
    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        out += Array(try map.current.areaJSON(self, measurer: ThreadResources.current.measurer()).serialized.utf8)
    }

    /// `lon,lat,metres` as HTTP's `circle=` and the CLI's `--circle` give it.
    public static func circle(_ text: String) throws -> AreaRequest {
        let v = try numbers(text, 3, "circle", "lon,lat,metres")
        return .circle(Coordinate(v[0], v[1]), metres: v[2])
    }

    /// `minlon,minlat,maxlon,maxlat` as HTTP's `box=` and the CLI's `--box` give it.
    public static func box(_ text: String) throws -> AreaRequest {
        let v = try numbers(text, 4, "box", "minlon,minlat,maxlon,maxlat")
        return .box(BoundingBox(minX: v[0], minY: v[1], maxX: v[2], maxY: v[3]))
    }

    private static func numbers(_ text: String, _ count: Int, _ name: String, _ form: String) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == count else {
            throw RequestError("\(name) takes \(count) numbers (\(form)), got '\(Parameter.shown(text))'",
                               code: .badArea)
        }
        return try parts.map { try Parameter.number(String($0), name) }
    }
}

extension LocateRequest {
    /// A one-off LOCATE on a store file (`gridmap locate`): from the version's prepared index
    /// and replies when the store has them (milliseconds: no version is built), else from the
    /// version built, whose prepared index is then saved for the next one.
    public func answer(storeLocation: String) throws -> [UInt8] {
        let p = try point.wgs84()  // the point first, as every skin checks it
        let store = try Stores.open(storeLocation, readOnly: true)
        let version = try point.asOf.map { try store.resolve(asOf: $0) } ?? store.head()
        // The prepared index is kept in store files only (a database serves long-running servers).
        let prepares = nearestAddress == nil && store.keepsPreparedBlobs
        if prepares, let prepared = try PreparedLookup.load(store: store, version: version) {
            return Array(prepared.locationText(grid: prepared.locate(p), point: p, input: point.input,
                                               crs: try point.crs()).utf8)
        }
        let snapshot = try Snapshot.load(store: storeLocation, version: version)
        let answer = try LocateRequest(PointQuery(lon: point.input.x, lat: point.input.y, crs: point.crsName),
                                       address: nearestAddress?.radius).answer(MapView(MapService(snapshot: snapshot)))
        // Saved through a store opened for writing, when this process may write it.
        if prepares, let writable = try? Stores.open(storeLocation) {
            PreparedLookup.save(snapshot, store: writable, version: version)
        }
        return answer
    }
}
