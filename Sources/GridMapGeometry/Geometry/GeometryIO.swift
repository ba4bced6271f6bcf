import CGEOS

// WKT and WKB, read and written by GEOS.
extension GEOSContext {
    public func geometry(wkt: String) throws -> Geometry {
        guard let reader = GEOSWKTReader_create_r(handle) else { throw error("create WKT reader") }
        defer { GEOSWKTReader_destroy_r(handle, reader) }
        return try wrap(GEOSWKTReader_read_r(handle, reader, wkt), "WKT read")
    }

    public func geometry(wkb: [UInt8]) throws -> Geometry {
        guard let reader = GEOSWKBReader_create_r(handle) else { throw error("create WKB reader") }
        defer { GEOSWKBReader_destroy_r(handle, reader) }
        return try wrap(wkb.withUnsafeBufferPointer { GEOSWKBReader_read_r(handle, reader, $0.baseAddress, $0.count) },
                        "WKB read")
    }
}

extension Geometry {
    /// WKT with trailing zeros trimmed; `precision` digits after the point when given.
    public func wkt(precision: Int32? = nil) throws -> String {
        let h = context.handle
        guard let writer = GEOSWKTWriter_create_r(h) else { throw context.error("create WKT writer") }
        defer { GEOSWKTWriter_destroy_r(h, writer) }
        GEOSWKTWriter_setTrim_r(h, writer, 1)
        if let precision { GEOSWKTWriter_setRoundingPrecision_r(h, writer, precision) }
        guard let text = GEOSWKTWriter_write_r(h, writer, pointer) else { throw context.error("WKT write") }
        defer { context.free(text) }
        return String(cString: text)
    }

    /// ISO WKB, little-endian.
    public func wkb() throws -> [UInt8] {
        let h = context.handle
        guard let writer = GEOSWKBWriter_create_r(h) else { throw context.error("create WKB writer") }
        defer { GEOSWKBWriter_destroy_r(h, writer) }
        GEOSWKBWriter_setByteOrder_r(h, writer, Int32(GEOS_WKB_NDR.rawValue))
        var size = 0
        guard let bytes = GEOSWKBWriter_write_r(h, writer, pointer, &size) else { throw context.error("WKB write") }
        defer { context.free(bytes) }
        return Array(UnsafeBufferPointer(start: bytes, count: size))
    }
}
