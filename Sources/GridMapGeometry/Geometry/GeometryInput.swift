/// Geometry typed by a client (WKT or GeoJSON), checked against limits before any parser
/// sees it: GEOS's WKT reader recurses once per nesting level (30,000 nested
/// `GEOMETRYCOLLECTION(` overflowed the stack), and overlay work grows with the vertices.
public enum GeometryInput {
    /// The limits on a client's geometry, one definition for every skin (RESP, CLI, HTTP).
    public struct Limits: Sendable {
        /// Longest text, in bytes.
        public var maxBytes = 1 << 20
        /// Most vertices (an incident area or a planner's line has hundreds).
        public var maxVertices = 10_000
        /// Deepest nesting of brackets (a WKT GEOMETRYCOLLECTION of MULTIPOLYGONs needs 4;
        /// a GeoJSON Feature's MultiPolygon 6).
        public var maxNesting = 8
        public init() {}
    }

    public static let defaultLimits = Limits()

    /// Parses WKT (with this thread's GEOS context) or GeoJSON (a geometry, a Feature or a
    /// FeatureCollection's first feature); errors say which limit or what is malformed.
    public static func parse(_ text: String, limits: Limits = defaultLimits) throws -> Shape {
        let bytes = text.utf8
        guard bytes.count <= limits.maxBytes else {
            throw GeometryError("geometry longer than \(limits.maxBytes) bytes")
        }
        var depth = 0, deepest = 0, numbers = 0, inNumber = false
        for b in bytes {
            switch b {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
                if deepest > limits.maxNesting {
                    throw GeometryError("geometry nested deeper than \(limits.maxNesting) levels")
                }
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
            let digit = (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: ".")
                || b == UInt8(ascii: "-") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || b == UInt8(ascii: "+")
            if digit && !inNumber { numbers += 1 }
            inNumber = digit
        }
        // Two numbers a vertex (a third, Z, would only make the estimate larger).
        guard numbers / 2 <= limits.maxVertices else {
            throw GeometryError("geometry has more than \(limits.maxVertices) vertices")
        }
        let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        if trimmed.hasPrefix("{") {
            let json: JSONValue
            do { json = try JSONParser.parse(String(trimmed), maxDepth: limits.maxNesting + 1) } catch {
                throw GeometryError("invalid GeoJSON: \(error)")
            }
            let shape: Shape?
            do { shape = try GeoJSON.features(from: json).first?.geometry } catch {
                throw GeometryError("invalid GeoJSON: \(error)")
            }
            guard let shape else { throw GeometryError("the GeoJSON has no geometry") }
            return shape
        }
        if let offset = trailingText(trimmed) {
            let start = trimmed.utf8.index(trimmed.utf8.startIndex, offsetBy: offset)
            let rest = String(decoding: trimmed.utf8[start...].prefix(30), as: UTF8.self)
            throw GeometryError("invalid WKT: text after the end of the geometry at character "
                                + "\(text.utf8.count - trimmed.utf8.count + offset + 1): '\(rest)'")
        }
        do { return try ThreadResources.current.geos.geometry(wkt: String(trimmed)).shape() } catch {
            throw GeometryError("invalid WKT: \(error)")
        }
    }

    /// The byte offset of anything but white space after a WKT geometry ends (after the
    /// bracket that closes its first one, or after `EMPTY`), or nil. A reader that stopped at
    /// the geometry's end would take "POLYGON((…)) , (…)" as the first polygon alone.
    package static func trailingText(_ wkt: Substring) -> Int? {
        func space(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D }
        var depth = 0
        var ended = false
        for (i, b) in wkt.utf8.enumerated() {
            if ended {
                if !space(b) { return i }
                continue
            }
            if b == UInt8(ascii: "(") { depth += 1 }
            if b == UInt8(ascii: ")") {
                depth -= 1
                if depth <= 0 { ended = true }
            }
        }
        guard !wkt.utf8.contains(UInt8(ascii: "(")) else { return nil }
        // No brackets: only "TYPE [Z|M|ZM] EMPTY" is a geometry.
        let words = wkt.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        guard let empty = words.firstIndex(where: { $0.uppercased() == "EMPTY" }), empty < words.count - 1 else {
            return nil
        }
        let after = words[words.index(after: empty)]
        return wkt.utf8.distance(from: wkt.utf8.startIndex, to: after.utf8.startIndex)
    }
}
