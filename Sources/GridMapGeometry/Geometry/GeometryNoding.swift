import CGEOS

// The GEOS calls that redrawing uses: noding linework, building faces from it, merging lines.
extension Geometry {
    /// The linework noded at every intersection and dissolved (shared stretches once): the
    /// input of `GEOSContext.polygonize`. A line union keeps every input vertex.
    public func nodedLines() throws -> Geometry { try unaryUnion() }

    /// Sequences of line segments joined into the longest lines they form.
    public func lineMerge() throws -> Geometry {
        try context.wrap(GEOSLineMerge_r(context.handle, pointer), "line merge")
    }

    public var isSimple: Bool { GEOSisSimple_r(context.handle, pointer) == 1 }
}

extension GEOSContext {
    /// The polygons that noded linework encloses, holes assigned (GEOS's polygonizer).
    public func polygonize(_ lines: Geometry) throws -> [Geometry] {
        var pointer: OpaquePointer? = lines.pointer
        let made = withUnsafePointer(to: &pointer) { GEOSPolygonize_r(handle, $0, 1) }
        return try wrap(made, "polygonize").parts()
    }
}
