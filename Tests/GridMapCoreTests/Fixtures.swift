import Foundation
@testable import GridMapCore
import GridMapTestSupport
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

/// The committed Yufeng data, read once for all tests.
enum Fixtures {
    static var root: String { GridMapTestSupport.root }
    static let dataDirectory = root + "/data/yufeng"
    static let snapshot: Snapshot = try! Snapshot.load(directory: dataDirectory)
    static var dataset: Dataset { snapshot.dataset }
}

/// GEOS geometries of every grid in one context, with bounding boxes, for brute-force checks.
final class GridGeometries {
    let ctx: GEOSContext
    let geometries: [Geometry]
    let boxes: [BoundingBox]

    init(_ grids: [Grid]) throws {
        let ctx = GEOSContext()
        self.ctx = ctx
        geometries = try grids.map { try ctx.geometry($0.shape) }
        boxes = grids.map { $0.shape.bounds! }
    }

    /// Indices of grids whose closed polygon GEOS says contains the point.
    func covering(_ c: Coordinate) throws -> [Int] {
        let p = try ctx.geometry(.point(c))
        return try boxes.indices.filter { i in
            guard boxes[i].contains(c) else { return false }
            return try geometries[i].covers(p)
        }
    }

    /// Indices of grids within `tolerance` degrees of the point.
    func near(_ c: Coordinate, tolerance: Double) throws -> [Int] {
        let p = try ctx.geometry(.point(c))
        return try boxes.indices.filter { i in
            let b = boxes[i]
            guard c.x >= b.minX - tolerance, c.x <= b.maxX + tolerance, c.y >= b.minY - tolerance,
                c.y <= b.maxY + tolerance
            else { return false }
            return try geometries[i].distance(to: p) <= tolerance
        }
    }
}

typealias TestRandom = SeededRandom
