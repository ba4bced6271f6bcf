import GridMapCore

/// The map's commands: parse, call the engine, wrap its JSON in a bulk string. Every
/// reply carries the `data_version` it was answered from.
enum LookupCommands {
    static func json(_ value: JSONValue) -> RESPValue { .bulk(value.serialized) }

    /// lon lat at `i`, `i+1`, in the CRS named by the CRS option, as WGS 84.
    static func point(_ a: Arguments, _ s: Session, at i: Int, crsIndex: Int?) throws -> (Coordinate, Coordinate, CRS) {
        let raw = Coordinate(try a.number(i, "longitude"), try a.number(i + 1, "latitude"))
        let crs: CRS
        do { crs = try crsIndex.map { try CRS(parsing: try a.text($0)) } ?? .wgs84 } catch let e as CRSError { throw CommandError(e.message) }
        do {
            // WGS 84 needs no transformation, only the range check: skip the converter.
            if crs == .wgs84 { try CoordinateConverter.check(raw, crs); return (raw, raw, crs) }
            return (try s.converter.toWGS84(raw, from: crs), raw, crs)
        } catch { throw CommandError("\(error)") }
    }

    /// LOCATE lon lat [CRS c] [ASOF version|date]
    static func locate(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = a.count > 2 ? try a.options(from: 2, allowed: ["CRS", "ASOF"]) : [:]
        let (p, raw, crs) = try point(a, s, at: 0, crsIndex: o["CRS"])
        guard let asOf = o["ASOF"] else {
            let snapshot = s.snapshot
            return bytes(s) { snapshot.writeLocation(grid: snapshot.locate(p), point: p, input: raw, crs: crs, to: &$0) }
        }
        let service = s.service
        let version = try service.resolve(asOf: try a.text(asOf))
        if let snapshot = service.cachedSnapshot(version: version) {
            return bytes(s) { snapshot.writeLocation(grid: snapshot.locate(p), point: p, input: raw, crs: crs, to: &$0) }
        }
        // The first as-of query of a version builds it: off the event loop.
        return s.offLoop {
            let snapshot = try service.snapshot(version: version)
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
        let (p, _, _) = try point(a, s, at: 0, crsIndex: o["CRS"])
        let snapshot = s.snapshot
        let kind = try o["KIND"].map { try a.text($0) }
        if let kind, !snapshot.resources.hasKind(kind) {
            throw CommandError("unknown kind '\(kind)'; known kinds: \(snapshot.resources.kinds.joined(separator: ", "))")
        }
        let radius = try o["RADIUS"].map { try a.number($0, "radius") }
        if let radius, radius < 0 || radius > 100_000 { throw CommandError("radius must be 0 to 100000 metres") }
        let limit = try o["LIMIT"].map { try a.integer($0, "limit", in: 1...1000) } ?? (radius == nil ? 5 : 100)
        return bytes(s) { snapshot.writeNearby(point: p, kind: kind, radius: radius, limit: limit, to: &$0) }
    }

    static func grid(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let snapshot = s.snapshot
        let id = try a.text(0)
        guard let g = snapshot.grid(id: id) else { throw CommandError("unknown grid '\(id.prefix(40))'") }
        guard case .object(var o) = snapshot.gridJSON(g) else { throw CommandError("internal error") }
        o["geometry"] = GeoJSON.json(snapshot.dataset.grids[g].shape)
        o["data_version"] = .string(snapshot.version)
        return json(.object(o))
    }

    static func grids(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let snapshot = s.snapshot
        let list: [Int]
        if a.count == 0 {
            list = Array(snapshot.dataset.grids.indices)
        } else {
            guard a.count == 2 else { throw CommandError("usage: GRIDS [STREET id | COMMUNITY id]", code: "ERR syntax error:") }
            let id = try a.text(1)
            switch try a.text(0).uppercased() {
            case "STREET":
                guard snapshot.dataset.streets.contains(where: { $0.id == id }) else { throw CommandError("unknown street '\(id.prefix(40))'") }
                list = snapshot.grids(inStreet: id)
            case "COMMUNITY":
                guard snapshot.dataset.communities.contains(where: { $0.id == id }) else { throw CommandError("unknown community '\(id.prefix(40))'") }
                list = snapshot.grids(inCommunity: id)
            default: throw CommandError("usage: GRIDS [STREET id | COMMUNITY id]", code: "ERR syntax error:")
            }
        }
        return json(["grids": .array(list.map(snapshot.gridJSON)), "data_version": .string(snapshot.version)])
    }

    static func neighbors(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let snapshot = s.snapshot
        let id = try a.text(0)
        guard let g = snapshot.grid(id: id) else { throw CommandError("unknown grid '\(id.prefix(40))'") }
        let list = try snapshot.neighbours(of: g, context: try s.measurer().context)
        return json(["grid": .string(id), "neighbors": .array(list.map { h in
            guard case .object(var o) = snapshot.gridJSON(h) else { return .null }
            o["workers"] = .array(snapshot.workers(of: h).map(snapshot.resourceJSON))
            return .object(o)
        }), "data_version": .string(snapshot.version)])
    }

    /// INTERSECTS <WKT | GeoJSON> | CIRCLE lon lat metres | BOX minlon minlat maxlon maxlat
    static func intersects(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let m = try s.measurer()
        let area: Shape
        switch try a.text(0).uppercased() {
        case "CIRCLE":
            guard a.count == 4 else { throw CommandError("usage: INTERSECTS CIRCLE lon lat metres", code: "ERR syntax error:") }
            let c = Coordinate(try a.number(1, "longitude"), try a.number(2, "latitude"))
            try CoordinateConverter.check(c, .wgs84)
            let r = try a.number(3, "radius")
            guard r > 0, r <= 50_000 else { throw CommandError("radius must be more than 0 and at most 50000 metres") }
            area = Snapshot.circle(center: c, radius: r)
        case "BOX":
            guard a.count == 5 else { throw CommandError("usage: INTERSECTS BOX minlon minlat maxlon maxlat", code: "ERR syntax error:") }
            let b = BoundingBox(minX: try a.number(1, "minlon"), minY: try a.number(2, "minlat"),
                                maxX: try a.number(3, "maxlon"), maxY: try a.number(4, "maxlat"))
            guard b.minX < b.maxX, b.minY < b.maxY else { throw CommandError("BOX needs minlon < maxlon and minlat < maxlat") }
            try CoordinateConverter.check(Coordinate(b.minX, b.minY), .wgs84)
            try CoordinateConverter.check(Coordinate(b.maxX, b.maxY), .wgs84)
            area = .polygon([b.ring])
        default:
            guard a.count == 1 else { throw CommandError("INTERSECTS takes one geometry (quote it), or CIRCLE/BOX", code: "ERR syntax error:") }
            do { area = try GeometryInput.parse(try a.text(0)) } catch let e as GeometryError {
                throw CommandError("invalid geometry: \(e.message)")
            }
        }
        let snapshot = s.snapshot
        let overlaps: [Overlap]
        do { overlaps = try snapshot.grids(intersecting: area, measurer: m) } catch { throw CommandError("\(error)") }
        return json([
            "area_m2": JSONValue((try m.area(area) * 10).rounded() / 10),
            "grids": .array(overlaps.map { o in
                guard case .object(var j) = snapshot.gridJSON(o.grid) else { return .null }
                j["overlap_m2"] = JSONValue((o.area * 10).rounded() / 10)
                return .object(j)
            }),
            "data_version": .string(snapshot.version),
        ])
    }
}

extension LookupCommands {
    /// GEOCODE address [LIMIT n]
    static func geocode(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = try a.options(from: 1, allowed: ["LIMIT"])
        let limit = try o["LIMIT"].map { try a.integer($0, "limit", in: 1...100) } ?? 5
        let text = try a.text(0)
        guard text.utf8.count <= 1024 else { throw CommandError("address longer than 1024 bytes") }
        let snapshot = s.snapshot
        let geocoder = snapshot.geocoder
        return .bulk(snapshot.geocodeText(text, try geocoder.geocode(text, limit: limit), parsed: geocoder.library.parse(text)))
    }

    /// LOCATEADDR address
    static func locateAddress(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let text = try a.text(0)
        guard text.utf8.count <= 1024 else { throw CommandError("address longer than 1024 bytes") }
        let snapshot = s.snapshot
        let geocoder = snapshot.geocoder
        return .bulk(snapshot.locateAddressText(text, try geocoder.geocode(text, limit: 5), parsed: geocoder.library.parse(text)))
    }
}

extension Snapshot {
    /// A grid's attributes (no geometry).
    func gridJSON(_ g: Int) -> JSONValue {
        let grid = dataset.grids[g]
        return ["id": .string(grid.id), "name": .string(grid.name), "community_id": .string(grid.communityID),
                "street_id": .string(grid.streetID), "households": JSONValue(grid.households),
                "population": JSONValue(grid.population)]
    }
}

import Foundation
