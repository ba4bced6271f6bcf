import Foundation
import GridMapCore
import GridMapStores
import GridMapPlanning

/// A local metric frame (metres east and north of a centre) for generating shapes; an
/// exact affine map, so shared vertices stay shared when converted back.
struct Frame {
    let center: Coordinate
    let kx: Double, ky: Double
    init(center: Coordinate) {
        self.center = center
        let k = Metric.metresPerDegree(atLatitude: center.y)
        kx = k.lon; ky = k.lat
    }
    func metres(_ c: Coordinate) -> Coordinate { Coordinate((c.x - center.x) * kx, (c.y - center.y) * ky) }
    func lonLat(_ p: Coordinate) -> Coordinate { Coordinate(center.x + p.x / kx, center.y + p.y / ky) }
}

/// Where people live: a few Gaussian urban cores over a thin rural base. Drives how dense
/// the grids are, their population, and where addresses and resources fall.
struct Density {
    var cores: [(center: Coordinate, sigma: Double, weight: Double)]  // in metres
    var rural: Double
    func at(_ p: Coordinate) -> Double {
        var d = rural
        for c in cores {
            let dx = p.x - c.center.x, dy = p.y - c.center.y
            d += c.weight * _exp(-(dx * dx + dy * dy) / (2 * c.sigma * c.sigma))
        }
        return d
    }
}

/// A smooth displacement of the plane (sums of sinusoids). Its gradient stays below 1, so it
/// is one-to-one: applied to every vertex, it bends shared edges identically on both sides.
struct Warp {
    private var waves: [(kx: Double, ky: Double, phase: Double, amp: Double, axis: Int)] = []
    init(random: inout SeededRandom) {
        // (wavelength m, amplitude m): A·2π/λ ≈ 0.14, 0.13, 0.11 per component.
        for (lambda, amp) in [(2400.0, 55.0), (700.0, 14.0), (170.0, 3.0)] {
            for axis in 0..<2 {
                let angle = random.uniform(0, .pi)
                let k = 2 * Double.pi / lambda
                waves.append((k * _cosd(angle), k * _sind(angle), random.uniform(0, 2 * .pi), amp, axis))
            }
        }
    }
    func apply(_ p: Coordinate) -> Coordinate {
        var d = (0.0, 0.0)
        for w in waves {
            let v = w.amp * _sind(w.kx * p.x + w.ky * p.y + w.phase)
            if w.axis == 0 { d.0 += v } else { d.1 += v }
        }
        return Coordinate(p.x + d.0, p.y + d.1)
    }
}

@inline(__always) func _exp(_ x: Double) -> Double { Foundation.exp(x) }
@inline(__always) func _sind(_ x: Double) -> Double { Foundation.sin(x) }
@inline(__always) func _cosd(_ x: Double) -> Double { Foundation.cos(x) }

/// Snaps a geometry to the 1e-7° lattice, keeping it valid (GEOS set-precision), and writes
/// each coordinate as the double nearest to k·1e-7, the same value `GridIndex.snap` and a
/// JSON reader produce, so the files, GEOS and the index all see identical numbers.
func onLattice(_ g: Geometry) throws -> Geometry {
    let snapped = try g.withPrecision(1e-7)
    return try g.context.geometry(try snapped.shape().mapCoordinates(GridIndex.snap))
}
