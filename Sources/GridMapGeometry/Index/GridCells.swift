import Dispatch
import Foundation
import CGridMapSupport

/// The point-in-grid half of `GridIndex`: a square cell lattice over the district in which
/// every cell answers from one place in memory.
///
/// Why this shape: once the index outgrows the CPU caches (the 100× benchmark data is
/// 67,400 grids), a lookup costs what its chain of dependent memory reads costs, about
/// 150 ns each on this kind of machine. So a lookup reads one directory word and, for a
/// cell crossed by a boundary, one contiguous record holding everything it needs: the
/// candidate grids, their edges near the cell, and where the rest of each grid lies.
///
/// **Record.** For each candidate grid g, in ascending order:
/// `[g] [edge count | wide << 31] [event count | parity << 31] [events…] [edges…]`.
/// A point P in the cell casts the usual even-odd ray east, split at the cell's east side
/// xE: crossings up to xE come from the edges stored here (each edge that meets the closed
/// cell), and the parity of those beyond xE, a function of the row only, is stored as its
/// value on the cell's first row plus the rows where it flips (`events`). Edges are two
/// Int16 pairs relative to the cell's corner, or Int32 pairs ("wide") when an edge reaches
/// too far. All arithmetic stays exact integers, so the answer is the one the plain
/// ray cast over the whole polygon gives.
package struct GridCells: Sendable {
    package let shift: Int
    package let columns: Int
    /// Per cell: `empty`, `whole | g` (all of the cell lies in grid g), or an offset into `records`.
    package let directory: [UInt32]
    package let records: [UInt32]

    package static let empty = UInt32.max
    package static let whole = UInt32(1) << 31

    package var side: Int64 { Int64(1) << Int64(shift) }

    /// `shift`: cells are 2^shift lattice units wide; chosen from the data unless given.
    package init(_ shapes: GridEdges, shift forced: Int? = nil) throws {
        let shift = forced ?? GridCells.defaultShift(shapes)
        self.shift = shift
        columns = Int((shapes.width - 1) >> Int64(shift)) + 1
        let rows = Int((shapes.height - 1) >> Int64(shift)) + 1
        // Consecutive ranges of grids on every core, then joined in order: each cell still
        // lists its grids in ascending order (the counting sort in `assemble` is stable).
        let count = shapes.count, columns = self.columns
        var builders = Parallel.map(count, parts: Parallel.parts(count, grain: 512, perCore: 1)) { _, range in
            var builder = GridCellsBuilder(shapes: shapes, shift: shift, columns: columns)
            for g in range where !shapes.boxes[g].isEmpty { builder.add(grid: g) }
            return builder
        }
        let parts = builders.count
        var builder = builders[0]
        for p in 1..<parts { builder.absorb(builders[p]) }
        builders = []
        (directory, records) = try builder.assemble(cells: columns * rows)
    }

    /// The cells of `shapes` when only the grids `changed` differ from those `old` was built
    /// from, on the same lattice with the same grid numbering (the caller checks both): the
    /// cells that those grids' old or new shapes come near are built afresh from every grid
    /// that reaches them, and every other cell is copied. A publish that moves one boundary
    /// then costs a copy of the index, not a build of it.
    package init(_ shapes: GridEdges, updating old: GridCells, oldBoxes: [GridBox], changed: [Int]) throws {
        shift = old.shift
        columns = old.columns
        let rows = old.directory.count / columns
        // Rectangles of cells (rows, columns), one cell wider all round than the boxes.
        var areas: [(r0: Int, r1: Int, c0: Int, c1: Int)] = []
        for g in changed {
            for box in [oldBoxes[g], shapes.boxes[g]] where !box.isEmpty {
                areas.append((max(0, Int(box.minY) >> shift - 1), min(rows - 1, Int(box.maxY) >> shift + 1),
                              max(0, Int(box.minX) >> shift - 1), min(columns - 1, Int(box.maxX) >> shift + 1)))
            }
        }
        var rebuilt = [Bool](repeating: false, count: old.directory.count)
        for a in areas {
            for r in a.r0...a.r1 { for c in a.c0...a.c1 { rebuilt[r * columns + c] = true } }
        }
        var builder = GridCellsBuilder(shapes: shapes, shift: shift, columns: columns)
        for g in 0..<shapes.count where !shapes.boxes[g].isEmpty {
            let b = shapes.boxes[g]
            let (r0, r1) = (Int(b.minY) >> shift - 1, Int(b.maxY) >> shift + 1)
            let (c0, c1) = (Int(b.minX) >> shift - 1, Int(b.maxX) >> shift + 1)
            if areas.contains(where: { $0.r0 <= r1 && r0 <= $0.r1 && $0.c0 <= c1 && c0 <= $0.c1 }) {
                builder.add(grid: g)
            }
        }
        (directory, records) = try builder.assemble(cells: old.directory.count, rebuilt: rebuilt, old: old)
    }

    /// Appends cell `cell`'s record to `out` and returns its directory entry there.
    package func copyCell(_ cell: Int, to out: inout [UInt32]) -> UInt32 {
        let entry = directory[cell]
        guard entry != GridCells.empty, entry & GridCells.whole == 0 else { return entry }
        let start = Int(entry) - 1
        let end = records.withUnsafeBufferPointer { r in
            var at = Int(entry)
            for _ in 0..<Int(r[start]) { at = GridCells.next(r, at) }
            return at
        }
        out.append(contentsOf: records[start..<end])
        return UInt32(out.count - (end - start) + 1)
    }

    /// About a third of the median grid's extent, so most cells in dense areas lie inside
    /// one grid and a boundary cell holds a few short edges: the work per lookup then
    /// depends on how grids are drawn, not on how many there are. Coarser when that would
    /// need more than 300 cells a grid (sparse data over a large empty box). The grid-size
    /// rule stops at 2^14 units (about 1.6 km), so that the edges near a cell usually fit
    /// the compact Int16 form; longer edges and coarser cells use the wide form.
    package static func defaultShift(_ shapes: GridEdges) -> Int {
        let extents = shapes.boxes.filter { !$0.isEmpty }.map { b in
            Double(Int64(b.maxX) - Int64(b.minX)) * Double(Int64(b.maxY) - Int64(b.minY))
        }.sorted()
        let median = max(1, extents.isEmpty ? 1 : extents[extents.count / 2])
        var shift = 4
        while shift < 14 && Double(Int64(1) << Int64(shift + 1)) <= median.squareRoot() / 3 { shift += 1 }
        let maxCells = max(1 << 21, 300 * shapes.count)
        while shift < 30 && ((shapes.width >> Int64(shift)) + 1) * ((shapes.height >> Int64(shift)) + 1) > maxCells {
            shift += 1
        }
        return shift
    }

    /// A point part-way through a lookup. A lookup is two memory reads, the second
    /// depending on the first: the cell's directory word, then (for a cell crossed by a
    /// boundary) its record. A batch asks for each read ahead of time (`prefetch…`), so the
    /// cache misses of many lookups overlap instead of waiting one after another.
    package struct Probe {
        var cell: Int
        var entry = GridCells.empty
        var dx: Int32 = 0, dy: Int32 = 0
        static let outside = Probe(cell: -1)
    }

    /// The point's cell, for lattice offsets inside the index's extent.
    @inline(__always)
    package func probe(_ x: Int64, _ y: Int64) -> Probe {
        let cx = Int(x >> Int64(shift)), cy = Int(y >> Int64(shift))
        return Probe(cell: cy * columns + cx,
                     dx: Int32(x - (Int64(cx) << Int64(shift))), dy: Int32(y - (Int64(cy) << Int64(shift))))
    }

    @inline(__always)
    package func prefetchDirectory(_ p: Probe) {
        if p.cell >= 0 { directory.withUnsafeBufferPointer { gridmap_prefetch($0.baseAddress! + p.cell) } }
    }

    @inline(__always)
    package func readDirectory(_ p: inout Probe) {
        if p.cell >= 0 { p.entry = directory[p.cell] }
    }

    /// The record's first three cache lines: records average 65 bytes on the Yufeng data
    /// and 110 bytes at 100 times its size, and they start anywhere in a line.
    @inline(__always)
    package func prefetchRecord(_ p: Probe) {
        if p.entry < GridCells.whole {
            records.withUnsafeBufferPointer { r in
                let head = r.baseAddress! + (Int(p.entry) - 1)
                gridmap_prefetch(head)
                gridmap_prefetch(head + 16)
                gridmap_prefetch(head + 32)
            }
        }
    }

    /// What `firstCovering` answers for a point in no grid, and for a point the lattice
    /// cannot decide (see `sectionCovers`).
    package static let noGrid: Int32 = -1, undecided: Int32 = -2

    /// Whether the point lies at least one unit inside its cell, so that every edge within
    /// one unit of it meets the closed cell (and is in the cell's record, when it has one).
    @inline(__always)
    private func wellInside(_ p: Probe) -> Bool {
        let far = Int32(truncatingIfNeeded: side - 1)
        return p.dx >= 1 && p.dy >= 1 && p.dx <= far && p.dy <= far
    }

    /// The first (smallest) grid covering the point, once its directory word is read;
    /// `noGrid`, or `undecided` when a boundary passes within one unit of the point.
    @inline(__always)
    package func firstCovering(_ p: Probe) -> Int32 {
        if p.cell < 0 { return GridCells.noGrid }
        guard wellInside(p) else { return GridCells.undecided }
        if p.entry >= GridCells.whole {
            return p.entry == GridCells.empty ? GridCells.noGrid : Int32(p.entry & ~GridCells.whole)
        }
        return records.withUnsafeBufferPointer { r in
            var at = Int(p.entry)
            for _ in 0..<r[at - 1] {
                switch sectionCovers(r, at, Int64(p.dx), Int64(p.dy)) {
                case .inside: return Int32(r[at])
                case .undecided: return GridCells.undecided
                case .outside: break
                }
                at = GridCells.next(r, at)
            }
            return GridCells.noGrid
        }
    }

    /// Every grid covering the point, ascending; nil when the lattice cannot decide.
    package func allCovering(_ x: Int64, _ y: Int64) -> [Int]? {
        var p = probe(x, y)
        readDirectory(&p)
        guard wellInside(p) else { return nil }
        if p.entry >= GridCells.whole { return p.entry == GridCells.empty ? [] : [Int(p.entry & ~GridCells.whole)] }
        return records.withUnsafeBufferPointer { r in
            var found = [Int](), at = Int(p.entry)
            for _ in 0..<r[at - 1] {
                switch sectionCovers(r, at, Int64(p.dx), Int64(p.dy)) {
                case .inside: found.append(Int(r[at]))
                case .undecided: return nil
                case .outside: break
                }
                at = GridCells.next(r, at)
            }
            return found
        }
    }

    /// Walks every record: how many cells have one, their sections, and how many sections
    /// use the wide (Int32) edge form.
    package func layout() -> GridIndex.Layout {
        records.withUnsafeBufferPointer { r in
            var at = 0, cellsWithRecords = 0, sections = 0, wide = 0
            while at < r.count {
                let n = Int(r[at]); at += 1
                cellsWithRecords += 1
                for _ in 0..<n {
                    sections += 1
                    if r[at + 1] >= GridCells.whole { wide += 1 }
                    at = GridCells.next(r, at)
                }
            }
            return GridIndex.Layout(cells: directory.count, cellsWithRecords: cellsWithRecords, sections: sections,
                                    wideSections: wide, recordBytes: r.count * 4)
        }
    }

    /// Offset of the section after the one at `at`.
    @inline(__always)
    package static func next(_ r: UnsafeBufferPointer<UInt32>, _ at: Int) -> Int {
        let edges = Int(r[at + 1] & ~whole), events = Int(r[at + 2] & ~whole)
        return at + 3 + events + edges * (r[at + 1] >= whole ? 4 : 2)
    }

    package enum Verdict { case inside, outside, undecided }

    /// How an edge (relative to the point P) meets P's eastward ray, noting in `near` an edge
    /// that passes within one unit of P (L∞): the true point, up to half a unit from P, and
    /// the true edge, up to half a unit from its lattice copy, may then lie either side.
    @inline(__always)
    private static func meet(_ ax: Int64, _ ay: Int64, _ bx: Int64, _ by: Int64, reach: Int64,
                             near: inout Bool) -> GridEdges.Meeting {
        if min(ay, by) > 1 || max(ay, by) < -1 { return .none }
        if min(ax, bx) <= 1 && max(ax, bx) >= -1 {
            // The line's signed distance at P, scaled; over the unit square around P it varies
            // by |Δx| + |Δy|.
            let cross = ax * by - bx * ay
            if abs(cross) <= abs(bx - ax) + abs(by - ay) { near = true }
        }
        return GridEdges.meet(ax, ay, bx, by, reach: reach)
    }

    /// Whether the section's grid covers the point (dx, dy), relative to the cell's corner;
    /// `undecided` when one of its edges passes within one unit of the point.
    @inline(__always)
    private func sectionCovers(_ r: UnsafeBufferPointer<UInt32>, _ at: Int, _ dx: Int64, _ dy: Int64) -> Verdict {
        let edgeWord = r[at + 1], eventWord = r[at + 2]
        var inside = eventWord >= GridCells.whole
        var k = at + 3
        let eventsEnd = k + Int(eventWord & ~GridCells.whole)
        while k < eventsEnd && Int64(r[k]) <= dy { inside.toggle(); k += 1 }
        k = eventsEnd
        let reach = side - dx
        var near = false
        if edgeWord < GridCells.whole {
            for _ in 0..<Int(edgeWord) {
                let p = r[k], q = r[k + 1]
                k += 2
                switch GridCells.meet(
                    Int64(Int16(truncatingIfNeeded: p)) - dx, Int64(Int16(truncatingIfNeeded: p >> 16)) - dy,
                    Int64(Int16(truncatingIfNeeded: q)) - dx, Int64(Int16(truncatingIfNeeded: q >> 16)) - dy,
                    reach: reach, near: &near)
                {
                case .onEdge: return .undecided
                case .crossing: inside.toggle()
                case .none: break
                }
            }
        } else {
            for _ in 0..<Int(edgeWord & ~GridCells.whole) {
                switch GridCells.meet(Int64(Int32(bitPattern: r[k])) - dx, Int64(Int32(bitPattern: r[k + 1])) - dy,
                                      Int64(Int32(bitPattern: r[k + 2])) - dx, Int64(Int32(bitPattern: r[k + 3])) - dy,
                                      reach: reach, near: &near) {
                case .onEdge: return .undecided
                case .crossing: inside.toggle()
                case .none: break
                }
                k += 4
            }
        }
        return near ? .undecided : inside ? .inside : .outside
    }
}
