/// A grid index written out as it is in memory and read back without building it: what lets a
/// one-off CLI lookup skip the build (see `PreparedLookup`).
extension GridIndex {
    package func write(to w: inout BlobWriter) {
        for v in [originX, originY, width, height] { w.int(Int(v)) }
        w.array(boxes)
        w.int(cells.shift)
        w.int(cells.columns)
        w.array(cells.directory)
        w.array(cells.records)
        // Polygons as counts (polygons per grid, rings per polygon, points per ring) and
        // the coordinates flat.
        var counts: [Int32] = [], coordinates: [Double] = []
        for grid in polygons {
            counts.append(Int32(grid.count))
            for polygon in grid {
                counts.append(Int32(polygon.count))
                for ring in polygon {
                    counts.append(Int32(ring.count))
                    for c in ring { coordinates.append(c.x); coordinates.append(c.y) }
                }
            }
        }
        w.array(counts)
        w.array(coordinates)
    }

    package init(reading r: inout BlobReader) throws {
        originX = Int64(try r.int()); originY = Int64(try r.int())
        width = Int64(try r.int()); height = Int64(try r.int())
        boxes = try r.array(of: GridBox.self)
        let shift = try r.int(), columns = try r.int()
        cells = GridCells(shift: shift, columns: columns, directory: try r.array(of: UInt32.self),
                          records: try r.array(of: UInt32.self))
        let counts = try r.array(of: Int32.self), flat = try r.array(of: Double.self)
        var polygons: [[[[Coordinate]]]] = [], k = 0, c = 0
        func next() throws -> Int {
            guard k < counts.count, counts[k] >= 0 else { throw BlobError(description: "bad polygon counts") }
            k += 1
            return Int(counts[k - 1])
        }
        for _ in boxes.indices {
            var grid: [[[Coordinate]]] = []
            for _ in 0..<(try next()) {
                var polygon: [[Coordinate]] = []
                for _ in 0..<(try next()) {
                    let n = try next()
                    guard c + 2 * n <= flat.count else { throw BlobError(description: "bad polygon coordinates") }
                    polygon.append((0..<n).map { Coordinate(flat[c + 2 * $0], flat[c + 2 * $0 + 1]) })
                    c += 2 * n
                }
                grid.append(polygon)
            }
            polygons.append(grid)
        }
        guard columns > 0, shift >= 0, shift < 40, cells.directory.count % columns == 0 else {
            throw BlobError(description: "bad cell lattice")
        }
        self.polygons = polygons
        buckets = GridBuckets(boxes: boxes, width: width, height: height, shift: shift + 3)
    }
}

extension GridCells {
    /// Cells read back from a blob (`GridIndex.init(reading:)`).
    package init(shift: Int, columns: Int, directory: [UInt32], records: [UInt32]) {
        self.shift = shift
        self.columns = columns
        self.directory = directory
        self.records = records
    }
}
