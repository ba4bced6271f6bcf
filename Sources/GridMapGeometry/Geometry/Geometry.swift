import CGEOS

/// An owned GEOS geometry. Created and destroyed here only; it lives in one `GEOSContext`.
public final class Geometry {
    public let context: GEOSContext
    package let pointer: OpaquePointer

    package init(owning pointer: OpaquePointer, in context: GEOSContext) {
        self.pointer = pointer
        self.context = context
        context.liveGeometries += 1
        NativeHandles.created()
    }

    deinit {
        GEOSGeom_destroy_r(context.handle, pointer)
        context.liveGeometries -= 1
        NativeHandles.destroyed()
    }

    private var h: GEOSContextHandle_t { context.handle }

    public func clone() throws -> Geometry { try context.wrap(GEOSGeom_clone_r(h, pointer), "clone") }

    public var typeName: String {
        guard let c = GEOSGeomType_r(h, pointer) else { return "Unknown" }
        defer { context.free(c) }
        return String(cString: c)
    }

    public var typeID: Int32 { GEOSGeomTypeId_r(h, pointer) }
    public var isEmpty: Bool { GEOSisEmpty_r(h, pointer) == 1 }
    public var numGeometries: Int { Int(GEOSGetNumGeometries_r(h, pointer)) }

    /// The parts of a multi-geometry or collection (itself for a simple geometry), as copies.
    public func parts() throws -> [Geometry] {
        try (0..<numGeometries).map { i in
            guard let part = GEOSGetGeometryN_r(h, pointer, Int32(i)) else { throw context.error("getGeometryN") }
            return try context.wrap(GEOSGeom_clone_r(h, part), "clone")
        }
    }

    // MARK: Measures (planar, in the geometry's own units)

    public func area() throws -> Double {
        var value = 0.0
        guard GEOSArea_r(h, pointer, &value) == 1 else { throw context.error("area") }
        return value
    }

    public func length() throws -> Double {
        var value = 0.0
        guard GEOSLength_r(h, pointer, &value) == 1 else { throw context.error("length") }
        return value
    }

    public func distance(to other: Geometry) throws -> Double {
        var value = 0.0
        guard GEOSDistance_r(h, pointer, other.pointer, &value) == 1 else { throw context.error("distance") }
        return value
    }

    /// (minX, minY, maxX, maxY), or nil for an empty geometry.
    public func bounds() throws -> (minX: Double, minY: Double, maxX: Double, maxY: Double)? {
        if isEmpty { return nil }
        var a = 0.0, b = 0.0, c = 0.0, d = 0.0
        guard GEOSGeom_getXMin_r(h, pointer, &a) == 1, GEOSGeom_getYMin_r(h, pointer, &b) == 1,
              GEOSGeom_getXMax_r(h, pointer, &c) == 1, GEOSGeom_getYMax_r(h, pointer, &d) == 1
        else { throw context.error("bounds") }
        return (a, b, c, d)
    }

    // MARK: Overlay and constructive operations

    public func intersection(_ other: Geometry) throws -> Geometry {
        try context.wrap(GEOSIntersection_r(h, pointer, other.pointer), "intersection")
    }
    /// The part inside a rectangle (GEOS's rectangle clipping: linear in the vertices, where
    /// an overlay of a many-vertex geometry is not).
    public func clipped(to b: BoundingBox) throws -> Geometry {
        try context.wrap(GEOSClipByRect_r(h, pointer, b.minX, b.minY, b.maxX, b.maxY), "clip by rectangle")
    }
    public func union(_ other: Geometry) throws -> Geometry {
        try context.wrap(GEOSUnion_r(h, pointer, other.pointer), "union")
    }
    public func difference(_ other: Geometry) throws -> Geometry {
        try context.wrap(GEOSDifference_r(h, pointer, other.pointer), "difference")
    }
    public func symmetricDifference(_ other: Geometry) throws -> Geometry {
        try context.wrap(GEOSSymDifference_r(h, pointer, other.pointer), "symmetric difference")
    }
    public func unaryUnion() throws -> Geometry { try context.wrap(GEOSUnaryUnion_r(h, pointer), "union") }
    /// Union of a collection of polygons that form a coverage (edges matched exactly, no
    /// overlaps): much faster than `unaryUnion`, which it falls back to when GEOS refuses.
    public func coverageUnion() throws -> Geometry {
        if let p = GEOSCoverageUnion_r(h, pointer) { return Geometry(owning: p, in: context) }
        _ = context.error("coverage union")  // clears the message of the refused attempt
        return try unaryUnion()
    }
    public func boundary() throws -> Geometry { try context.wrap(GEOSBoundary_r(h, pointer), "boundary") }
    public func centroid() throws -> Geometry { try context.wrap(GEOSGetCentroid_r(h, pointer), "centroid") }
    public func pointOnSurface() throws -> Geometry {
        try context.wrap(GEOSPointOnSurface_r(h, pointer), "point on surface")
    }
    public func envelope() throws -> Geometry { try context.wrap(GEOSEnvelope_r(h, pointer), "envelope") }
    public func buffer(_ width: Double, quadrantSegments: Int32 = 8) throws -> Geometry {
        try context.wrap(GEOSBuffer_r(h, pointer, width, quadrantSegments), "buffer")
    }
    public func simplify(preservingTopology tolerance: Double) throws -> Geometry {
        try context.wrap(GEOSTopologyPreserveSimplify_r(h, pointer, tolerance), "simplify")
    }
    /// Snaps every coordinate to a grid of `gridSize`, keeping the result valid.
    public func withPrecision(_ gridSize: Double) throws -> Geometry {
        try context.wrap(GEOSGeom_setPrecision_r(h, pointer, gridSize, 0), "set precision")
    }
    /// The Voronoi cells of this geometry's vertices, clipped to no less than `envelope`.
    public func voronoiCells(envelope: Geometry?, tolerance: Double = 0) throws -> Geometry {
        try context.wrap(GEOSVoronoiDiagram_r(h, pointer, envelope?.pointer, tolerance, 0), "voronoi diagram")
    }

    // MARK: Predicates

    public func intersects(_ other: Geometry) throws -> Bool {
        try context.predicate(GEOSIntersects_r(h, pointer, other.pointer), "intersects")
    }
    public func contains(_ other: Geometry) throws -> Bool {
        try context.predicate(GEOSContains_r(h, pointer, other.pointer), "contains")
    }
    public func covers(_ other: Geometry) throws -> Bool {
        try context.predicate(GEOSCovers_r(h, pointer, other.pointer), "covers")
    }
    public func within(_ other: Geometry) throws -> Bool {
        try context.predicate(GEOSWithin_r(h, pointer, other.pointer), "within")
    }
    public func equalsExact(_ other: Geometry, tolerance: Double = 0) throws -> Bool {
        try context.predicate(GEOSEqualsExact_r(h, pointer, other.pointer, tolerance), "equals exact")
    }
    /// DE-9IM pattern match, e.g. "****1****" for "boundaries share a line".
    public func relate(_ other: Geometry, pattern: String) throws -> Bool {
        try context.predicate(GEOSRelatePattern_r(h, pointer, other.pointer, pattern), "relate")
    }
}
