/// Well-known binary, the geometry encoding of the map store and of GeoPackage, read and
/// written in Swift: a store load decodes tens of thousands of polygons, and a plain loop
/// over the bytes is much faster than a GEOS round trip per geometry. Writes little-endian
/// 2D ISO WKB; reads either byte order and drops Z and M (ISO 1000/2000/3000 and EWKB flags).
public enum WKB {
    public static func encode(_ shape: Shape) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(shape, to: &out)
        return out
    }

    private static func write(_ shape: Shape, to out: inout [UInt8]) {
        func header(_ type: UInt32) { out.append(1); append(type, to: &out) }
        func points(_ cs: [Coordinate]) {
            append(UInt32(cs.count), to: &out)
            for c in cs { append(c.x.bitPattern, to: &out); append(c.y.bitPattern, to: &out) }
        }
        func rings(_ rs: [[Coordinate]]) { append(UInt32(rs.count), to: &out); rs.forEach(points) }
        switch shape {
        case .point(let c): header(1); append(c.x.bitPattern, to: &out); append(c.y.bitPattern, to: &out)
        case .lineString(let cs): header(2); points(cs)
        case .polygon(let rs): header(3); rings(rs)
        case .multiPoint(let cs):
            header(4); append(UInt32(cs.count), to: &out); cs.forEach { write(.point($0), to: &out) }
        case .multiLineString(let ls):
            header(5); append(UInt32(ls.count), to: &out); ls.forEach { write(.lineString($0), to: &out) }
        case .multiPolygon(let ps):
            header(6); append(UInt32(ps.count), to: &out); ps.forEach { write(.polygon($0), to: &out) }
        case .collection(let gs): header(7); append(UInt32(gs.count), to: &out); gs.forEach { write($0, to: &out) }
        }
    }

    private static func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Decodes one geometry starting at `offset` (GeoPackage blobs put a header first).
    public static func decode(_ bytes: [UInt8], offset: Int = 0) throws -> Shape {
        var reader = Reader(bytes: bytes, at: offset)
        return try reader.geometry(depth: 0)
    }

    private struct Reader {
        let bytes: [UInt8]
        var at: Int
        var little = true

        init(bytes: [UInt8], at: Int) { self.bytes = bytes; self.at = at }

        mutating func word() throws -> UInt32 {
            guard at + 4 <= bytes.count else { throw GeometryError("WKB ends early at byte \(at)") }
            var v: UInt32 = 0
            for k in 0..<4 { v |= UInt32(bytes[at + k]) << (8 * k) }
            at += 4
            return little ? v : v.byteSwapped
        }

        mutating func double() throws -> Double {
            guard at + 8 <= bytes.count else { throw GeometryError("WKB ends early at byte \(at)") }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * k) }
            at += 8
            return Double(bitPattern: little ? v : v.byteSwapped)
        }

        mutating func count(_ what: String) throws -> Int {
            let n = Int(try word())
            // Each element takes at least 8 bytes, so a count larger than that is corrupt.
            guard n <= (bytes.count - at) / 8 + 1 else {
                throw GeometryError("WKB \(what) count \(n) exceeds the data")
            }
            return n
        }

        mutating func geometry(depth: Int) throws -> Shape {
            guard depth < 8 else { throw GeometryError("WKB nested too deeply") }
            guard at < bytes.count else { throw GeometryError("WKB ends early at byte \(at)") }
            switch bytes[at] {
            case 0: little = false
            case 1: little = true
            default: throw GeometryError("WKB byte order \(bytes[at]) at byte \(at)")
            }
            at += 1
            let raw = try word()
            // EWKB flags Z (0x80000000), M (0x40000000), SRID (0x20000000); ISO adds 1000s.
            var dims = 2 + (raw & 0x8000_0000 != 0 ? 1 : 0) + (raw & 0x4000_0000 != 0 ? 1 : 0)
            if raw & 0x2000_0000 != 0 { _ = try word() }
            let iso = raw & 0x0FFF_FFFF
            let type = iso % 1000
            switch iso / 1000 { case 1, 2: dims = 3; case 3: dims = 4; default: break }
            func point() throws -> Coordinate {
                let x = try double(), y = try double()
                for _ in 2..<dims { _ = try double() }
                return Coordinate(x, y)
            }
            func line() throws -> [Coordinate] { try (0..<count("point")).map { _ in try point() } }
            switch type {
            case 1: return .point(try point())
            case 2: return .lineString(try line())
            case 3: return .polygon(try (0..<count("ring")).map { _ in try line() })
            case 4, 5, 6, 7:
                let parts = try (0..<count("part")).map { _ in try geometry(depth: depth + 1) }
                switch type {
                case 4: return .multiPoint(parts.compactMap { if case .point(let c) = $0 { c } else { nil } })
                case 5: return .multiLineString(parts.compactMap { if case .lineString(let l) = $0 { l } else { nil } })
                case 6: return .multiPolygon(parts.compactMap { if case .polygon(let r) = $0 { r } else { nil } })
                default: return .collection(parts)
                }
            default: throw GeometryError("WKB geometry type \(raw) is not supported")
            }
        }
    }
}
