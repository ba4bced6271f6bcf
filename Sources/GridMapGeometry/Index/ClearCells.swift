import CGridMapSupport

/// A raster over one layer of polygons (a department's units) that answers, for most points,
/// with one array read: which of the layer's polygons cover the point, given that no edge of any
/// of them passes within `clearance` metres of it. Cells that an edge comes that close to are
/// marked, and points in them are decided exactly by the caller (ROUTE's border check needs the
/// true distances there anyway).
///
/// Why this is exact: a clear cell has no edge within `clearance` of any of its points, so no
/// boundary crosses it, and two clear cells side by side share their covering set (the segment
/// between their centres crosses no edge). Each connected run of clear cells is decided once,
/// by the exact predicates at one centre, and the whole run takes that answer. A point is put in
/// a cell by its lattice coordinates (within 0.5e-7° of the true ones); `clearance` is padded by
/// far more than that.
package struct ClearCells: Sendable {
    /// Metres: every point of a clear cell is farther than this from every edge.
    package let clearance: Double
    private let originX: Int64, originY: Int64
    private let shift: Int64
    private let width: Int, height: Int
    /// 0: an edge is near (decide exactly); k + 1: the polygons of `sets[k]` cover the cell. One
    /// byte a cell: the raster is read at random, and the smaller it is the more of it is cached.
    private let cells: [UInt8]
    /// Covering sets, each ascending (indices into the layer).
    package let sets: [[Int]]

    /// Cells of about this many lattice units (2^13 × 1e-7° ≈ 90 m of latitude; finer cells leave
    /// fewer points to the exact path, 98% against 97% clear, but take 4× the memory and measured
    /// no faster); coarser for a
    /// layer so wide that the raster would pass `maxCells`.
    package static let defaultShift: Int64 = 13
    package static let maxCells = 4_000_000

    package init(polygons: [Shape], index: GridIndex, clearance: Double) {
        self.clearance = clearance
        let boxes = polygons.compactMap(\.bounds)
        guard let first = boxes.first else {
            (originX, originY, shift, width, height) = (0, 0, Self.defaultShift, 0, 0)
            (cells, sets) = ([], [])
            return
        }
        var box = first
        for b in boxes.dropFirst() { box.include(b) }
        // Degrees that are surely more than `clearance` metres anywhere in the box (longitude's
        // metres shrink towards the pole: measured at the box's highest latitude), padded by 1%.
        let poleward = max(abs(box.minY), abs(box.maxY))
        let m = Metric.metresPerDegree(atLatitude: min(89, poleward + 0.01))
        let padded = clearance * 1.01 + 0.01
        let dx = padded / m.lon, dy = padded / min(m.lat, Metric.metresPerDegree(atLatitude: 0).lat)
        let ox = GridIndex.lattice(box.minX - dx) - 1, oy = GridIndex.lattice(box.minY - dy) - 1
        let spanX = GridIndex.lattice(box.maxX + dx) + 2 - ox, spanY = GridIndex.lattice(box.maxY + dy) + 2 - oy
        var shift = Self.defaultShift
        while ((spanX >> shift) + 1) * ((spanY >> shift) + 1) > Int64(Self.maxCells) { shift += 1 }
        let width: Int = Int(spanX >> shift) + 1
        let height: Int = Int(spanY >> shift) + 1
        originX = ox
        originY = oy
        self.shift = shift
        self.width = width
        self.height = height

        // Mark every cell an edge comes within `clearance` of: each edge cut into pieces no longer
        // than a cell, each piece's box widened by the clearance.
        var near = [Bool](repeating: false, count: width * height)
        let cellDegrees = Double(Int64(1) << shift) / GridIndex.unitsPerDegree
        func mark(_ minX: Double, _ minY: Double, _ maxX: Double, _ maxY: Double) {
            let x0 = max(0, Int((GridIndex.lattice(minX - dx) - ox) >> shift))
            let x1 = min(width - 1, Int((GridIndex.lattice(maxX + dx) - ox) >> shift))
            let y0 = max(0, Int((GridIndex.lattice(minY - dy) - oy) >> shift))
            let y1 = min(height - 1, Int((GridIndex.lattice(maxY + dy) - oy) >> shift))
            guard x0 <= x1, y0 <= y1 else { return }
            for y in y0...y1 { for x in x0...x1 { near[y * width + x] = true } }
        }
        for shape in polygons {
            for polygon in shape.polygons {
                for ring in polygon where ring.count > 1 {
                    for k in 0..<(ring.count - 1) {
                        let a = ring[k], b = ring[k + 1]
                        let pieces = max(1, Int((max(abs(b.x - a.x), abs(b.y - a.y)) / cellDegrees).rounded(.up)))
                        for s in 0..<pieces {
                            let t0 = Double(s) / Double(pieces), t1 = Double(s + 1) / Double(pieces)
                            let p = Coordinate(a.x + (b.x - a.x) * t0, a.y + (b.y - a.y) * t0)
                            let q = Coordinate(a.x + (b.x - a.x) * t1, a.y + (b.y - a.y) * t1)
                            mark(min(p.x, q.x), min(p.y, q.y), max(p.x, q.x), max(p.y, q.y))
                        }
                    }
                }
            }
        }

        // Each connected run of clear cells, decided at its first cell's centre.
        var cells = [UInt8](repeating: 0, count: width * height)
        var sets: [[Int]] = [], setIDs: [[Int]: UInt8] = [:]
        var stack: [Int] = []
        for start in 0..<(width * height) where !near[start] && cells[start] == 0 {
            let cx = Double(ox + (Int64(start % width) << shift) + (Int64(1) << (shift - 1)))
            let cy = Double(oy + (Int64(start / width) << shift) + (Int64(1) << (shift - 1)))
            let covering = index.exactlyCovering(
                Coordinate(cx / GridIndex.unitsPerDegree, cy / GridIndex.unitsPerDegree), all: true)
            let id: UInt8
            if let known = setIDs[covering] {
                id = known
            } else if sets.count < Int(UInt8.max) {
                sets.append(covering)
                id = UInt8(sets.count)
                setIDs[covering] = id
            } else {
                continue  // more distinct sets than a cell can name: these cells stay exact
            }
            cells[start] = id
            stack.append(start)
            while let c = stack.popLast() {
                let x = c % width, y = c / width
                let left = x > 0 ? c - 1 : -1, right = x + 1 < width ? c + 1 : -1
                let below = y > 0 ? c - width : -1, above = y + 1 < height ? c + width : -1
                for n in [left, right, below, above] where n >= 0 && !near[n] && cells[n] == 0 {
                    cells[n] = id
                    stack.append(n)
                }
            }
        }
        (self.cells, self.sets) = (cells, sets)
    }

    /// Asks for `c`'s cell ahead of `set(at:)`, so that its cache miss overlaps other work.
    @inline(__always)
    package func prefetch(_ c: Coordinate) {
        guard width > 0, c.x.isFinite, c.y.isFinite, abs(c.x) <= 180, abs(c.y) <= 90 else { return }
        let x = (GridIndex.lattice(c.x) - originX) >> shift, y = (GridIndex.lattice(c.y) - originY) >> shift
        guard x >= 0, y >= 0, x < Int64(width), y < Int64(height) else { return }
        cells.withUnsafeBufferPointer { gridmap_prefetch($0.baseAddress! + (Int(y) * width + Int(x))) }
    }

    /// The covering set's number in `sets` when `c` lies in a clear cell; -1 when an edge is
    /// near (decide exactly); -2 outside the raster, which no polygon and no edge comes near.
    @inline(__always)
    package func set(at c: Coordinate) -> Int {
        guard width > 0, c.x.isFinite, c.y.isFinite, abs(c.x) <= 180, abs(c.y) <= 90 else { return -2 }
        let x = (GridIndex.lattice(c.x) - originX) >> shift, y = (GridIndex.lattice(c.y) - originY) >> shift
        guard x >= 0, y >= 0, x < Int64(width), y < Int64(height) else { return -2 }
        return Int(cells[Int(y) * width + Int(x)]) - 1
    }

    /// Share of the raster's cells that are clear, and its bytes: for `gridmap-bench`.
    package var clearShare: Double {
        cells.isEmpty ? 1 : Double(cells.lazy.filter { $0 != 0 }.count) / Double(cells.count)
    }
    package var memoryBytes: Int { cells.count }
}
