import Dispatch
import Foundation

/// Builds `GridCells` grid by grid: the cells each grid's boundary meets get a record
/// section, the cells it covers whole are noted, and `assemble` lays them out cell by cell.
package struct GridCellsBuilder {
    package let shapes: GridEdges
    package let shift: Int, columns: Int
    package var side: Int64 { Int64(1) << Int64(shift) }

    /// Section contents in the order grids were added; `sections` says for which cell and
    /// grid each is, with `start == nil` when the grid covers the whole cell.
    private var blob: [UInt32] = []
    private var sections: [(cell: Int32, grid: Int32, start: Int?)] = []

    package init(shapes: GridEdges, shift: Int, columns: Int) {
        self.shapes = shapes; self.shift = shift; self.columns = columns
    }

    /// The first column whose closed cell (east side included) reaches x.
    private func firstColumn(_ x: Int32) -> Int { max(0, Int((Int64(x) + side - 1) >> Int64(shift)) - 1) }

    /// Adds grid g; grids must be added in ascending order so each cell lists them so.
    package mutating func add(grid g: Int) {
        let box = shapes.boxes[g]
        let r0 = Int(box.minY) >> shift, r1 = Int(box.maxY) >> shift
        let c0 = firstColumn(box.minX), c1 = min(columns - 1, Int(box.maxX) >> shift)
        // The edges meeting each row of cells (rows y0 ... y0 + side - 1, closed).
        var bands = [[Int32]](repeating: [], count: r1 - r0 + 1)
        for k in shapes.edgeRange(g) {
            let e = shapes.edges[k]
            for r in (Int(e.minY) >> shift)...(Int(e.maxY) >> shift) { bands[r - r0].append(Int32(k)) }
        }
        var near = [[Int32]](repeating: [], count: c1 - c0 + 1)
        for r in r0...r1 {
            let band = bands[r - r0]
            for c in near.indices { near[c].removeAll(keepingCapacity: true) }
            for k in band {
                let e = shapes.edges[Int(k)]
                for c in max(c0, firstColumn(e.minX))...min(c1, Int(e.maxX) >> shift) { near[c - c0].append(k) }
            }
            let y0 = Int64(r) << Int64(shift)
            for c in c0...c1 {
                let x0 = Int64(c) << Int64(shift)
                let cell = Int32(r * columns + c)
                if near[c - c0].isEmpty {
                    // No edge of g meets the cell: it lies wholly inside g or wholly outside.
                    let cx = x0 + side / 2, cy = y0 + side / 2
                    if GridEdges.covers(shapes.edges, band, cx, cy, reach: Int64(box.maxX) - cx + 1) {
                        sections.append((cell, Int32(g), nil))
                    }
                } else {
                    sections.append((cell, Int32(g), blob.count))
                    writeSection(g, near[c - c0], band, x0, y0, box)
                }
            }
        }
    }

    private mutating func writeSection(
        _ g: Int, _ near: [Int32], _ band: [Int32], _ x0: Int64, _ y0: Int64, _ box: GridBox
    ) {
        let xE = x0 + side
        // The parity of crossings beyond xE can change between rows y-1 and y only where an
        // edge reaching past xE starts or ends (row y), or crosses x = xE between them
        // (y is next to the crossing). Evaluating it exactly at those rows finds every flip.
        // A sorted array rather than a set: a section has a handful of rows, and this runs
        // millions of times at 100× (hashing and per-section allocations dominated the build).
        var rows: [Int64] = []
        rows.reserveCapacity(4 * band.count)
        for k in band {
            let e = shapes.edges[Int(k)]
            guard Int64(e.maxX) > xE else { continue }
            rows.append(Int64(e.y1) - y0)
            rows.append(Int64(e.y2) - y0)
            if Int64(e.minX) <= xE {
                let num = (xE - Int64(e.x1)) * (Int64(e.y2) - Int64(e.y1)), den = Int64(e.x2) - Int64(e.x1)
                let y = Int64(e.y1) + floorDivision(num, den) - y0
                rows.append(y)
                rows.append(y + 1)
            }
        }
        rows.sort()
        let start = parityBeyond(band, xE, y0, box)
        let header = blob.count
        blob.append(UInt32(g))
        blob.append(0)  // edge count and width, below
        blob.append(0)  // flip count and starting parity, below
        var flips: UInt32 = 0, current = start, previous = Int64.min
        for r in rows where r > 0 && r < side && r != previous {
            previous = r
            let p = parityBeyond(band, xE, y0 + r, box)
            if p != current { blob.append(UInt32(r)); flips += 1; current = p }
        }
        @inline(__always) func fits(_ v: Int64) -> Bool { v >= Int64(Int16.min) && v <= Int64(Int16.max) }
        var wide = false
        for k in near {
            let e = shapes.edges[Int(k)]
            if !(fits(Int64(e.x1) - x0) && fits(Int64(e.y1) - y0) && fits(Int64(e.x2) - x0) && fits(Int64(e.y2) - y0)) {
                wide = true
                break
            }
        }
        blob[header + 1] = UInt32(near.count) | (wide ? GridCells.whole : 0)
        blob[header + 2] = flips | (start ? GridCells.whole : 0)
        for k in near {
            let e = shapes.edges[Int(k)]
            let (ax, ay, bx, by) = (Int64(e.x1) - x0, Int64(e.y1) - y0, Int64(e.x2) - x0, Int64(e.y2) - y0)
            if wide {
                for v in [ax, ay, bx, by] { blob.append(UInt32(bitPattern: Int32(v))) }
            } else {
                let pack = { (x: Int64, y: Int64) in
                    UInt32(UInt16(bitPattern: Int16(x))) | UInt32(UInt16(bitPattern: Int16(y))) << 16
                }
                blob.append(pack(ax, ay))
                blob.append(pack(bx, by))
            }
        }
    }

    /// Parity of g's boundary crossings on row y strictly east of xE (the band holds every
    /// edge of g meeting that row).
    private func parityBeyond(_ band: [Int32], _ xE: Int64, _ y: Int64, _ box: GridBox) -> Bool {
        var odd = false
        let reach = Int64(box.maxX) - xE + 1
        for k in band {
            let e = shapes.edges[Int(k)]
            if GridEdges.meet(Int64(e.x1) - xE, Int64(e.y1) - y, Int64(e.x2) - xE, Int64(e.y2) - y, reach: reach)
                == .crossing
            {
                odd.toggle()
            }
        }
        return odd
    }

    /// Takes over the sections of a builder that added later grids (all above this one's),
    /// so that builders run over consecutive ranges of grids in parallel and are then joined.
    package mutating func absorb(_ other: GridCellsBuilder) {
        let offset = blob.count
        blob.append(contentsOf: other.blob)
        sections.append(contentsOf: other.sections.map { ($0.cell, $0.grid, $0.start.map { $0 + offset }) })
    }

    /// Lays the sections out cell by cell: (directory, records). With `old`, only the cells
    /// `rebuilt` marks come from the sections (the others' are dropped); every other cell's
    /// entry and record are copied from `old`, built on the same lattice and grid numbering.
    /// Ranges of cells are laid out on every core, then joined.
    package func assemble(cells: Int, rebuilt: [Bool]? = nil, old: GridCells? = nil) throws -> ([UInt32], [UInt32]) {
        // A stable counting sort by cell keeps each cell's grids in ascending order.
        let kept = rebuilt.map { mask in sections.indices.filter { mask[Int(sections[$0].cell)] } }
            ?? Array(sections.indices)
        var counts = [Int](repeating: 0, count: cells + 1)
        for i in kept { counts[Int(sections[i].cell) + 1] += 1 }
        for c in 0..<cells { counts[c + 1] += counts[c] }
        var sorted = [Int32](repeating: 0, count: kept.count), fill = counts
        for i in kept {
            let cell = Int(sections[i].cell)
            sorted[fill[cell]] = Int32(i)
            fill[cell] += 1
        }
        let (first, order) = (counts, sorted)  // read by every part below

        let parts = Parallel.parts(cells, grain: 32768, perCore: 2)
        var directory = [UInt32](repeating: GridCells.empty, count: cells)
        let pieces = directory.withUnsafeMutableBufferPointer { dir in
            // Each part writes only its own range of cells.
            nonisolated(unsafe) let dir = dir
            return Parallel.map(cells, parts: parts) { _, range -> [UInt32] in
                var records: [UInt32] = []
                for cell in range {
                    if let old, let rebuilt, !rebuilt[cell] {
                        dir[cell] = old.copyCell(cell, to: &records)
                    } else if first[cell] < first[cell + 1] {
                        dir[cell] = layOut(order[first[cell]..<first[cell + 1]], to: &records)
                    }
                }
                return records
            }
        }
        // Join the pieces: entries that point into a piece move by the records before it.
        var records = pieces[0]
        for p in 1..<parts {
            let base = UInt32(records.count)
            for cell in (cells * p / parts)..<(cells * (p + 1) / parts) where directory[cell] & GridCells.whole == 0 {
                directory[cell] += base
            }
            records.append(contentsOf: pieces[p])
        }
        guard records.count < Int(GridCells.whole) else {
            throw GridIndex.BuildError(description: "the grid index would exceed 8 GiB; split the data by region")
        }
        return (directory, records)
    }

    /// Appends one cell's record (its sections `mine`, in grid order) to `records` and returns
    /// the cell's directory entry: `whole | g` when every section covers the cell whole (g the
    /// smallest: the boundary rule), else the record's offset past its count.
    private func layOut(_ mine: ArraySlice<Int32>, to records: inout [UInt32]) -> UInt32 {
        if mine.allSatisfy({ sections[Int($0)].start == nil }) {
            return GridCells.whole | UInt32(sections[Int(mine.first!)].grid)
        }
        records.append(UInt32(mine.count))
        let entry = UInt32(records.count)
        for k in mine {
            let s = sections[Int(k)]
            guard let start = s.start else {
                records.append(contentsOf: [UInt32(s.grid), 0, GridCells.whole])  // no edges; covered throughout
                continue
            }
            let end = blob.withUnsafeBufferPointer { GridCells.next($0, start) }
            records.append(contentsOf: blob[start..<end])
        }
        return entry
    }
}

/// Floor of a / b for b != 0 (Swift's `/` truncates toward zero).
private func floorDivision(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q
}
