import CGEOS

// Conversion between plain `Shape` values and GEOS geometries: the only place that
// builds or reads GEOS coordinate sequences.

private let geosPoint: Int32 = 0, geosLineString: Int32 = 1, geosLinearRing: Int32 = 2, geosPolygon: Int32 = 3
private let geosMultiPoint: Int32 = 4, geosMultiLineString: Int32 = 5, geosMultiPolygon: Int32 = 6
private let geosCollection: Int32 = 7

extension GEOSContext {
    /// Builds a GEOS geometry from a shape. Rings must be closed and have at least 4 points;
    /// anything GEOS refuses is reported with its message.
    public func geometry(_ shape: Shape) throws -> Geometry {
        switch shape {
        case .point(let c): return try wrap(GEOSGeom_createPointFromXY_r(handle, c.x, c.y), "create point")
        case .lineString(let cs):
            return try wrap(GEOSGeom_createLineString_r(handle, try sequence(cs)), "create line string")
        case .polygon(let rings): return try polygon(rings)
        case .multiPoint(let cs): return try collection(geosMultiPoint, cs.map { try geometry(.point($0)) })
        case .multiLineString(let ls):
            return try collection(geosMultiLineString, ls.map { try geometry(.lineString($0)) })
        case .multiPolygon(let ps): return try collection(geosMultiPolygon, ps.map { try polygon($0) })
        case .collection(let gs): return try collection(geosCollection, gs.map { try geometry($0) })
        }
    }

    private func sequence(_ coordinates: [Coordinate]) throws -> OpaquePointer {
        let seq = coordinates.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: Double.self) { doubles in
                GEOSCoordSeq_copyFromBuffer_r(handle, doubles.baseAddress, UInt32(coordinates.count), 0, 0)
            }
        }
        guard let seq else { throw error("create coordinate sequence") }
        return seq
    }

    private func ring(_ coordinates: [Coordinate]) throws -> OpaquePointer {
        guard coordinates.count >= 4, coordinates.first == coordinates.last else {
            throw GeometryError(
                "a polygon ring needs at least 4 positions and must be closed (first == last); got \(coordinates.count)"
            )
        }
        let seq = try sequence(coordinates)
        guard let ring = GEOSGeom_createLinearRing_r(handle, seq) else { throw error("create linear ring") }
        return ring
    }

    private func polygon(_ rings: [[Coordinate]]) throws -> Geometry {
        guard let outer = rings.first else {
            return try wrap(GEOSGeom_createEmptyPolygon_r(handle), "create empty polygon")
        }
        let shell = try ring(outer)
        var holes: [OpaquePointer?] = []
        do {
            for inner in rings.dropFirst() { holes.append(try ring(inner)) }
        } catch {
            GEOSGeom_destroy_r(handle, shell)
            for hole in holes { if let hole { GEOSGeom_destroy_r(handle, hole) } }
            throw error
        }
        let made = holes.withUnsafeMutableBufferPointer { buffer in
            GEOSGeom_createPolygon_r(handle, shell, buffer.baseAddress, UInt32(buffer.count))
        }
        return try wrap(made, "create polygon")
    }

    /// A GeometryCollection of copies of `parts`.
    public func collection(_ parts: [Geometry]) throws -> Geometry { try collection(geosCollection, parts) }

    /// GEOS takes ownership of the parts, so each is cloned out of its Swift owner first.
    private func collection(_ type: Int32, _ parts: [Geometry]) throws -> Geometry {
        var pointers: [OpaquePointer?] = try parts.map {
            guard let copy = GEOSGeom_clone_r(handle, $0.pointer) else { throw error("clone") }
            return copy
        }
        let made = pointers.withUnsafeMutableBufferPointer { buffer in
            GEOSGeom_createCollection_r(handle, type, buffer.baseAddress, UInt32(buffer.count))
        }
        return try wrap(made, "create collection")
    }

    fileprivate func coordinates(of geometry: OpaquePointer) throws -> [Coordinate] {
        guard let seq = GEOSGeom_getCoordSeq_r(handle, geometry) else { throw error("get coordinates") }
        var size: UInt32 = 0
        guard GEOSCoordSeq_getSize_r(handle, seq, &size) == 1 else { throw error("coordinate count") }
        var result = [Coordinate](repeating: Coordinate(0, 0), count: Int(size))
        let ok = result.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: Double.self) { doubles in
                GEOSCoordSeq_copyToBuffer_r(handle, seq, doubles.baseAddress, 0, 0)
            }
        }
        guard ok == 1 else { throw error("copy coordinates") }
        return result
    }

    fileprivate func shape(of g: OpaquePointer) throws -> Shape {
        switch GEOSGeomTypeId_r(handle, g) {
        case geosPoint:
            guard GEOSisEmpty_r(handle, g) == 0 else { return .multiPoint([]) }
            return .point(try coordinates(of: g)[0])
        case geosLineString, geosLinearRing: return .lineString(try coordinates(of: g))
        case geosPolygon: return .polygon(try rings(of: g))
        case geosMultiPoint: return .multiPoint(try children(of: g).map { try coordinates(of: $0)[0] })
        case geosMultiLineString: return .multiLineString(try children(of: g).map { try coordinates(of: $0) })
        case geosMultiPolygon: return .multiPolygon(try children(of: g).map { try rings(of: $0) })
        case geosCollection: return .collection(try children(of: g).map { try shape(of: $0) })
        default: throw GeometryError("unsupported GEOS geometry type \(GEOSGeomTypeId_r(handle, g))")
        }
    }

    private func children(of g: OpaquePointer) throws -> [OpaquePointer] {
        try (0..<GEOSGetNumGeometries_r(handle, g)).map {
            guard let child = GEOSGetGeometryN_r(handle, g, $0) else { throw error("get part") }
            return child
        }
    }

    private func rings(of polygon: OpaquePointer) throws -> [[Coordinate]] {
        if GEOSisEmpty_r(handle, polygon) == 1 { return [] }
        guard let shell = GEOSGetExteriorRing_r(handle, polygon) else { throw error("exterior ring") }
        var rings = [try coordinates(of: shell)]
        for i in 0..<GEOSGetNumInteriorRings_r(handle, polygon) {
            guard let hole = GEOSGetInteriorRingN_r(handle, polygon, i) else { throw error("interior ring") }
            rings.append(try coordinates(of: hole))
        }
        return rings
    }
}

extension Geometry {
    /// This geometry as a plain `Shape` value.
    public func shape() throws -> Shape { try context.shape(of: pointer) }

    /// The point's coordinate (throws for anything but a non-empty point).
    public func coordinate() throws -> Coordinate {
        guard case .point(let c) = try shape() else { throw GeometryError("expected a point, got \(typeName)") }
        return c
    }
}
