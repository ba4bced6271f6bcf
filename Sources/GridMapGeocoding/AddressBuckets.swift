import GridMapGeometry
import GridMapModel

/// Addresses by cell of 0.001° (about 100 m), for the nearest ones to a point.
package struct AddressBuckets: Sendable {
    package static let cell = 0.001
    private let cells: [Int64: [Int32]]
    private let locations: [Coordinate]

    /// The addresses' bounding box: a point farther than the radius from it has none near.
    private let bounds: BoundingBox?

    package init(_ addresses: [Address]) {
        locations = addresses.map(\.location)
        bounds = BoundingBox(locations)
        var cells: [Int64: [Int32]] = [:]
        for (k, p) in locations.enumerated() { cells[AddressBuckets.key(p), default: []].append(Int32(k)) }
        self.cells = cells
    }

    private static func key(_ p: Coordinate) -> Int64 {
        key(Int64((p.x / cell).rounded(.down)), Int64((p.y / cell).rounded(.down)))
    }
    private static func key(_ x: Int64, _ y: Int64) -> Int64 { (x << 32) ^ (y & 0xFFFF_FFFF) }

    /// Indices of the addresses within `radius` metres of `p`, nearest first, at most `limit`.
    package func nearest(_ p: Coordinate, radius: Double, limit: Int) -> [(index: Int, metres: Double)] {
        // Degrees per metre grow without bound toward a pole: the search is kept to the
        // addresses' own box, so a point far from them (or at 90°) costs nothing.
        let m = Metric.metresPerDegree(atLatitude: min(89.9, abs(p.y)))
        let dx = radius / m.lon
        let dy = radius / m.lat
        guard let b = bounds, p.x + dx >= b.minX, p.x - dx <= b.maxX, p.y + dy >= b.minY, p.y - dy <= b.maxY
        else { return [] }
        func cell(_ v: Double) -> Int64 { Int64((v / AddressBuckets.cell).rounded(.down)) }
        let x0 = cell(max(p.x - dx, b.minX)), x1 = cell(min(p.x + dx, b.maxX))
        let y0 = cell(max(p.y - dy, b.minY)), y1 = cell(min(p.y + dy, b.maxY))
        var found: [(index: Int, metres: Double)] = []
        for x in x0...x1 {
            for y in y0...y1 {
                for k in cells[AddressBuckets.key(x, y)] ?? [] {
                    let d = Metric.distance(p, locations[Int(k)])
                    if d <= radius { found.append((Int(k), d)) }
                }
            }
        }
        found.sort { $0.metres != $1.metres ? $0.metres < $1.metres : $0.index < $1.index }
        return Array(found.prefix(limit))
    }
}
