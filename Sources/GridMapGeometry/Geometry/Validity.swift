import CGEOS

/// GEOS's verdict on a geometry: valid, or the reason and where it happens.
public struct Validity: Equatable, Sendable {
    public let isValid: Bool
    public let reason: String?
    public let location: Coordinate?

    public var description: String {
        guard !isValid else { return "valid" }
        let at = location.map { " at (\($0.x) \($0.y))" } ?? ""
        return "\(reason ?? "invalid")\(at)"
    }
}

extension Geometry {
    public func validity() throws -> Validity {
        let h = context.handle
        var reason: UnsafeMutablePointer<CChar>?
        var location: OpaquePointer?
        let verdict = GEOSisValidDetail_r(h, pointer, 0, &reason, &location)
        defer {
            context.free(reason)
            if let location { GEOSGeom_destroy_r(h, location) }
        }
        switch verdict {
        case 1: return Validity(isValid: true, reason: nil, location: nil)
        case 0:
            var at: Coordinate?
            if let location {
                var x = 0.0, y = 0.0
                if GEOSGeomGetX_r(h, location, &x) == 1, GEOSGeomGetY_r(h, location, &y) == 1 { at = Coordinate(x, y) }
            }
            return Validity(isValid: false, reason: reason.map { String(cString: $0) }, location: at)
        default: throw context.error("validity check")
        }
    }

    public var isValid: Bool { (try? validity().isValid) ?? false }

    /// GEOS's make-valid using the "structure" method: rings are read as area boundaries,
    /// so a self-intersecting outline becomes the polygon(s) it encloses, not a bow-tie.
    public func makeValid() throws -> Geometry {
        let h = context.handle
        guard let params = GEOSMakeValidParams_create_r(h) else { throw context.error("make-valid parameters") }
        defer { GEOSMakeValidParams_destroy_r(h, params) }
        GEOSMakeValidParams_setMethod_r(h, params, GEOS_MAKE_VALID_STRUCTURE)
        GEOSMakeValidParams_setKeepCollapsed_r(h, params, 0)
        return try context.wrap(GEOSMakeValidWithParams_r(h, pointer, params), "make valid")
    }
}
