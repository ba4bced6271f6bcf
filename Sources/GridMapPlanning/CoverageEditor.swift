import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// Redraws grids of a coverage so that it stays exact: every change is made on faces cut from
/// one noded linework (the boundaries of the grids involved and the planner's lines), so
/// the new shared boundaries have the same vertices on both sides, and the area of the
/// grids involved is the same before and after, without gaps, overlaps or slivers.
///
/// Owns GEOS geometries of this thread's context: make one per operation, on one thread.
struct CoverageEditor {
    let geos = ThreadResources.current.geos

    /// A face of the noded linework, with the grid it lies in and a point inside it.
    struct Face {
        let geometry: Geometry
        let owner: String
        let inside: Geometry
    }

    /// The faces into which the members' boundaries and `lines` cut the members.
    func faces(of members: [String: Geometry], cutBy lines: [Geometry]) throws -> [Face] {
        let ids = members.keys.sorted()
        let linework = try ids.map { try members[$0]!.boundary() } + lines
        let noded = try geos.collection(linework).nodedLines()
        let boxes = try ids.map { try members[$0]!.bounds() }
        var out: [Face] = []
        for face in try geos.polygonize(noded) {
            let inside = try face.pointOnSurface()
            let c = try inside.coordinate()
            var owner: String?
            for (k, id) in ids.enumerated() {
                guard let b = boxes[k], c.x >= b.minX, c.x <= b.maxX, c.y >= b.minY, c.y <= b.maxY else { continue }
                if try members[id]!.intersects(inside) {
                    owner = id
                    break
                }
            }
            // A face in no member is a hole of the neighbourhood (a grid not involved).
            if let owner { out.append(Face(geometry: face, owner: owner, inside: inside)) }
        }
        return out
    }

    /// Each new owner's shape, the union of its faces. A member whose faces all stay with it
    /// and whose vertices did not change keeps its shape exactly as it was.
    func assemble(
        _ faces: [Face], newOwner: (Face) throws -> String,
        before: [String: Shape]
    ) throws -> [String: Shape] {
        var parts: [String: [Face]] = [:]
        for f in faces { parts[try newOwner(f), default: []].append(f) }
        var out: [String: Shape] = [:]
        for (id, faces) in parts {
            let shape: Shape
            if faces.count == 1 {
                shape = try faces[0].geometry.shape()
            } else {
                let polygons = try faces.flatMap { try $0.geometry.shape().polygons }
                shape = try geos.geometry(.multiPolygon(polygons)).coverageUnion().shape()
            }
            let oriented = shape.orientedForGeoJSON.simplestPolygonal
            if let old = before[id], Set(old.allCoordinates) == Set(oriented.allCoordinates),
                faces.allSatisfy({ $0.owner == id })
            {
                out[id] = old
            } else {
                out[id] = oriented
            }
        }
        return out
    }
}

extension Shape {
    /// Polygons with exterior rings counter-clockwise and holes clockwise (GeoJSON's right-hand
    /// rule), as a one-part shape when there is one part.
    public var orientedForGeoJSON: Shape {
        func signedArea(_ ring: [Coordinate]) -> Double {
            var a = 0.0
            for k in 0..<max(0, ring.count - 1) { a += ring[k].x * ring[k + 1].y - ring[k + 1].x * ring[k].y }
            return a / 2
        }
        func orient(_ rings: [[Coordinate]]) -> [[Coordinate]] {
            rings.enumerated().map { k, ring in
                let ccw = signedArea(ring) > 0
                return (k == 0) == ccw ? ring : ring.reversed()
            }
        }
        switch self {
        case .polygon(let rings): return .polygon(orient(rings))
        case .multiPolygon(let ps): return ps.count == 1 ? .polygon(orient(ps[0])) : .multiPolygon(ps.map(orient))
        case .collection:
            let ps = polygons
            return ps.count == 1 ? .polygon(orient(ps[0])) : .multiPolygon(ps.map(orient))
        default: return self
        }
    }
}
