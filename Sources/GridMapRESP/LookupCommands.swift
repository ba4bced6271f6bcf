import GridMapCore
import GridMapPlanning

/// The map's commands: each reads its arguments into the engine's request type and answers
/// with the engine's JSON in a bulk string (`Session.answer`: on the event loop when the
/// request is quick, else on the thread pool). Every reply carries its `data_version`.
enum LookupCommands {
    /// `lon lat` at `i`, `i+1`, with the CRS and ASOF options' values.
    static func point(_ a: Arguments, at i: Int, _ o: [String: Int]) throws -> PointQuery {
        PointQuery(lon: try a.number(i, "longitude"), lat: try a.number(i + 1, "latitude"),
                   crs: try o["CRS"].map { try a.text($0) }, asOf: try o["ASOF"].map { try a.text($0) })
    }

    /// LOCATE lon lat [CRS c] [ASOF version|date] [ADDRESS radius_m]
    static func locate(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = a.count > 2 ? try a.options(from: 2, allowed: ["CRS", "ASOF", "ADDRESS"]) : [:]
        return s.answer(try LocateRequest(try point(a, at: 0, o), address: try o["ADDRESS"].map {
            try a.number($0, "address")
        }))
    }

    /// NEARBY lon lat [CRS c] [ASOF v] [KIND k] [RADIUS m] [LIMIT n]
    static func nearby(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = a.count > 2 ? try a.options(from: 2, allowed: ["CRS", "ASOF", "KIND", "RADIUS", "LIMIT"]) : [:]
        return s.answer(try NearbyRequest(
            try point(a, at: 0, o), kind: try o["KIND"].map { try a.text($0) },
            radius: try o["RADIUS"].map { try a.number($0, "radius") },
            limit: try o["LIMIT"].map { try a.integer($0, "limit") }))
    }

    /// REVGEOCODE lon lat [CRS c] [ASOF v] [RADIUS m] [LIMIT n]: the nearest standard addresses.
    static func reverseGeocode(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = a.count > 2 ? try a.options(from: 2, allowed: ["CRS", "ASOF", "RADIUS", "LIMIT"]) : [:]
        return s.answer(try ReverseRequest(
            try point(a, at: 0, o), radius: try o["RADIUS"].map { try a.number($0, "radius") },
            limit: try o["LIMIT"].map { try a.integer($0, "limit") }))
    }

    /// ROUTE lon lat category [CRS c] [ASOF v] [BORDER m]: who must handle a report there.
    static func route(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = a.count > 3 ? try a.options(from: 3, allowed: ["CRS", "ASOF", "BORDER"]) : [:]
        return s.answer(try RouteRequest(try point(a, at: 0, o), category: try a.text(2),
                                         border: try o["BORDER"].map { try a.number($0, "border") }))
    }

    /// ROUTEADDR address category
    static func routeAddress(_ a: Arguments, _ s: Session) throws -> RESPValue {
        s.answer(try RouteAddressRequest(try a.text(0), category: try a.text(1)))
    }

    /// GRID id [ASOF v]
    static func grid(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = try a.options(from: 1, allowed: ["ASOF"])
        return s.answer(GridRequest(try a.text(0), asOf: try o["ASOF"].map { try a.text($0) }))
    }

    /// GRIDS [STREET id | COMMUNITY id] [ASOF v]
    static func grids(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = try a.options(from: 0, allowed: ["STREET", "COMMUNITY", "ASOF"])
        return s.answer(try GridsRequest(
            street: try o["STREET"].map { try a.text($0) }, community: try o["COMMUNITY"].map { try a.text($0) },
            asOf: try o["ASOF"].map { try a.text($0) }))
    }

    /// NEIGHBORS id [ASOF v]
    static func neighbors(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = try a.options(from: 1, allowed: ["ASOF"])
        return s.answer(NeighboursRequest(try a.text(0), asOf: try o["ASOF"].map { try a.text($0) }))
    }

    /// INTERSECTS <WKT | GeoJSON> | CIRCLE lon lat metres | BOX minlon minlat maxlon maxlat
    static func intersects(_ a: Arguments, _ s: Session) throws -> RESPValue {
        switch try a.text(0).uppercased() {
        case "CIRCLE":
            guard a.count == 4 else {
                throw CommandError("usage: INTERSECTS CIRCLE lon lat metres", code: "ERR syntax error:")
            }
            // Read as HTTP's `circle=` and the CLI's `--circle` are: the same messages.
            return s.answer(try AreaRequest.circle(try (1...3).map { try a.text($0) }.joined(separator: ",")))
        case "BOX":
            guard a.count == 5 else {
                throw CommandError("usage: INTERSECTS BOX minlon minlat maxlon maxlat", code: "ERR syntax error:")
            }
            return s.answer(try AreaRequest.box(try (1...4).map { try a.text($0) }.joined(separator: ",")))
        default:
            guard a.count == 1 else {
                throw CommandError("INTERSECTS takes one geometry (quote it), or CIRCLE/BOX", code: "ERR syntax error:")
            }
            return s.answer(AreaRequest.geometry(try a.text(0)))
        }
    }

    /// GEOCODE address [LIMIT n]
    static func geocode(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = try a.options(from: 1, allowed: ["LIMIT"])
        return s.answer(try GeocodeRequest(try a.text(0), limit: try o["LIMIT"].map { try a.integer($0, "limit") }))
    }

    /// LOCATEADDR address
    static func locateAddress(_ a: Arguments, _ s: Session) throws -> RESPValue {
        s.answer(try LocateAddressRequest(try a.text(0)))
    }
}

extension Session {
    /// The engine's answer to `request`: written on the event loop into the session's reused
    /// buffer when it is quick (the reply shares that buffer's storage until it is written
    /// out; the next request then finds it unshared and refills it in place, so a steady
    /// stream of replies allocates nothing), else on the thread pool.
    func answer(_ request: some MapRequest) -> RESPValue {
        let map = MapView(service, current: snapshot)
        guard request.isQuick(map) else {
            return offLoop { .bulkString(try request.answer(map)) }
        }
        scratch.removeAll(keepingCapacity: true)
        do { try request.answer(map, into: &scratch) } catch { return CommandTable.reply(for: error, errorView) }
        return .bulkString(scratch)
    }
}
