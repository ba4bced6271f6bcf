import Foundation
import GridMapCore

/// The map's commands: parse, call the engine, wrap its JSON in a bulk string. Every
/// reply carries the `data_version` it was answered from.
enum LookupCommands {
    static func json(_ value: JSONValue) -> RESPValue { .bulk(value.serialized) }

    /// A point as a request gives it: `lon lat` at `i`, `i+1`, and the CRS option's text.
    struct PointQuery: Sendable {
        let raw: Coordinate
        let crsName: String?

        init(_ a: Arguments, at i: Int, crsIndex: Int?) throws {
            raw = Coordinate(try a.number(i, "longitude"), try a.number(i + 1, "latitude"))
            crsName = try crsIndex.map { try a.text($0) }
        }

        /// Whether converting it would set up PROJ (slow): then it is done off the event loop.
        var needsSetUp: Bool { crsName.map { !ThreadResources.current.isReady(forCRSNamed: $0) } ?? false }

        /// (WGS 84 point, the input, its CRS), converted with this thread's converter.
        func resolved() throws -> (Coordinate, Coordinate, CRS) {
            let crs: CRS
            do { crs = try crsName.map { try CRS(parsing: $0) } ?? .wgs84 } catch let e as CRSError {
                throw CommandError(e.message)
            }
            do {
                // WGS 84 needs no transformation, only the range check: skip the converter.
                if crs == .wgs84 { try CoordinateConverter.check(raw, crs); return (raw, raw, crs) }
                return (try ThreadResources.current.converter.toWGS84(raw, from: crs), raw, crs)
            } catch { throw CommandError("\(error)") }
        }
    }

    /// LOCATE lon lat [CRS c] [ASOF version|date] [ADDRESS radius_m]
    static func locate(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = a.count > 2 ? try a.options(from: 2, allowed: ["CRS", "ASOF", "ADDRESS"]) : [:]
        let query = try PointQuery(a, at: 0, crsIndex: o["CRS"])
        let service = s.service
        let version = try o["ASOF"].map { try service.resolve(asOf: try a.text($0)) }
        if let k = o["ADDRESS"] {
            // With the nearest standard address: the address library may need building.
            let request = try ReverseGeocodeRequest(radius: try a.number(k, "radius"))
            let pinned = s.snapshot
            return s.offLoop {
                let (p, raw, crs) = try query.resolved()
                let snapshot = try version.map { try service.snapshot(version: $0) } ?? pinned
                var out: [UInt8] = []
                try snapshot.writeLocation(
                    grid: snapshot.locate(p), point: p, input: raw, crs: crs, nearestAddress: request, to: &out)
                return .bulkString(out)
            }
        }
        let ready = version.map { service.cachedSnapshot(version: $0) } ?? s.snapshot
        if let snapshot = ready, !query.needsSetUp {
            let (p, raw, crs) = try query.resolved()
            return bytes(s) {
                snapshot.writeLocation(grid: snapshot.locate(p), point: p, input: raw, crs: crs, to: &$0)
            }
        }
        // A CRS to set up, or the first as-of query of a version (which builds it).
        return s.offLoop {
            let (p, raw, crs) = try query.resolved()
            let snapshot = try ready ?? service.snapshot(version: version!)
            var out: [UInt8] = []
            snapshot.writeLocation(grid: snapshot.locate(p), point: p, input: raw, crs: crs, to: &out)
            return .bulkString(out)
        }
    }

    /// A reply the engine writes as bytes, into the session's reused buffer. The reply shares
    /// that buffer's storage until it is written out; the next request then finds it
    /// unshared and refills it in place, so a steady stream of replies allocates nothing.
    static func bytes(_ s: Session, _ write: (inout [UInt8]) -> Void) -> RESPValue {
        s.scratch.removeAll(keepingCapacity: true)
        write(&s.scratch)
        return .bulkString(s.scratch)
    }

    static func nearby(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = a.count > 2 ? try a.options(from: 2, allowed: ["CRS", "KIND", "RADIUS", "LIMIT"]) : [:]
        let query = try PointQuery(a, at: 0, crsIndex: o["CRS"])
        let snapshot = s.snapshot
        let request = try NearbyRequest(kind: try o["KIND"].map { try a.text($0) },
                                        radius: try o["RADIUS"].map { try a.number($0, "radius") },
                                        limit: try o["LIMIT"].map { try a.integer($0, "limit", in: Int.min...Int.max) },
                                        in: snapshot)
        guard !query.needsSetUp else {
            return s.offLoop {
                var out: [UInt8] = []
                snapshot.writeNearby(request, point: try query.resolved().0, to: &out)
                return .bulkString(out)
            }
        }
        let p = try query.resolved().0
        return bytes(s) { snapshot.writeNearby(request, point: p, to: &$0) }
    }

    static func grid(_ a: Arguments, _ s: Session) throws -> RESPValue {
        json(try known { try s.snapshot.gridDetailJSON(id: try a.text(0)) })
    }

    static func grids(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let usage = CommandError("usage: GRIDS [STREET id | COMMUNITY id]", code: "ERR syntax error:")
        guard a.count == 0 || a.count == 2 else { throw usage }
        if a.count == 0 { return json(try s.snapshot.gridsJSON()) }
        let id = try a.text(1)
        switch try a.text(0).uppercased() {
        case "STREET": return json(try known { try s.snapshot.gridsJSON(street: id) })
        case "COMMUNITY": return json(try known { try s.snapshot.gridsJSON(community: id) })
        default: throw usage
        }
    }

    static func neighbors(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let snapshot = s.snapshot
        let id = try a.text(0)
        guard snapshot.grid(id: id) != nil else { throw CommandError("unknown grid '\(id.prefix(40))'") }
        // GEOS overlays take milliseconds: off the event loop, with that thread's context.
        return s.offLoop { json(try snapshot.neighboursJSON(id: id, context: ThreadResources.current.geos)) }
    }

    /// The engine's unknown-id error as the command error RESP clients know.
    private static func known<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as UnknownID { throw CommandError(e.description) }
    }

    /// INTERSECTS <WKT | GeoJSON> | CIRCLE lon lat metres | BOX minlon minlat maxlon maxlat
    /// The arguments are read on the event loop; the geometry is parsed (within
    /// `GeometryInput`'s limits) and overlaid off it.
    static func intersects(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let request: AreaRequest
        switch try a.text(0).uppercased() {
        case "CIRCLE":
            guard a.count == 4 else {
                throw CommandError("usage: INTERSECTS CIRCLE lon lat metres", code: "ERR syntax error:")
            }
            request = .circle(Coordinate(try a.number(1, "longitude"), try a.number(2, "latitude")),
                              metres: try a.number(3, "radius"))
        case "BOX":
            guard a.count == 5 else {
                throw CommandError("usage: INTERSECTS BOX minlon minlat maxlon maxlat", code: "ERR syntax error:")
            }
            request = .box(BoundingBox(
                minX: try a.number(1, "minlon"), minY: try a.number(2, "minlat"),
                maxX: try a.number(3, "maxlon"), maxY: try a.number(4, "maxlat")))
        default:
            guard a.count == 1 else {
                throw CommandError("INTERSECTS takes one geometry (quote it), or CIRCLE/BOX", code: "ERR syntax error:")
            }
            request = .geometry(try a.text(0))
        }
        // A circle or box is checked here, at once; a geometry is parsed off the event loop.
        if case .geometry = request {} else { _ = try areaChecked { try request.shape() } }
        let snapshot = s.snapshot
        return s.offLoop {
            json(try areaChecked { try snapshot.areaJSON(request, measurer: ThreadResources.current.measurer()) })
        }
    }

    private static func areaChecked<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as AreaError { throw CommandError(e.description) }
    }
}

extension LookupCommands {
    /// GEOCODE address [LIMIT n]
    static func geocode(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = try a.options(from: 1, allowed: ["LIMIT"])
        let request = try GeocodeRequest(
            try a.text(0), limit: try o["LIMIT"].map { try a.integer($0, "limit", in: Int.min...Int.max) })
        return withGeocoder(s) { snapshot in .bulkString(try snapshot.geocodeJSON(request)) }
    }

    /// REVGEOCODE lon lat [RADIUS m] [LIMIT n] [CRS c]: the nearest standard addresses.
    static func reverseGeocode(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = a.count > 2 ? try a.options(from: 2, allowed: ["CRS", "RADIUS", "LIMIT"]) : [:]
        let query = try PointQuery(a, at: 0, crsIndex: o["CRS"])
        let request = try ReverseGeocodeRequest(
            radius: try o["RADIUS"].map { try a.number($0, "radius") },
            limit: try o["LIMIT"].map { try a.integer($0, "limit", in: Int.min...Int.max) })
        if query.needsSetUp {
            let snapshot = s.snapshot
            return s.offLoop { .bulkString(try snapshot.reverseGeocodeJSON(try query.resolved().0, request)) }
        }
        let p = try query.resolved().0
        return withGeocoder(s) { snapshot in .bulkString(try snapshot.reverseGeocodeJSON(p, request)) }
    }

    /// LOCATEADDR address
    static func locateAddress(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let request = try GeocodeRequest(try a.text(0))
        return withGeocoder(s) { snapshot in .bulkString(try snapshot.locateAddressJSON(request)) }
    }

    /// Runs `body` with the session's version and its geocoder: on the loop when the address
    /// library is built, else on the thread pool (reading and indexing addresses takes seconds
    /// at 100×, after start-up and after a publish).
    private static func withGeocoder(
        _ s: Session, _ body: @escaping @Sendable (Snapshot) throws -> RESPValue
    ) -> RESPValue {
        let snapshot = s.snapshot
        let work = { @Sendable in try body(snapshot) }
        if snapshot.addressLibraryIsReady {
            do { return try work() } catch { return CommandTable.reply(for: error, s.errorView) }
        }
        return s.offLoop(work)
    }
}
