/// Exact geometric predicates on doubles, for the points the lattice cannot decide.
///
/// `orient` is Shewchuk's adaptive orientation test in its simplest exact form: a
/// floating-point filter, and where the filter cannot tell, the determinant computed as an
/// exact sum of products (error-free transformations: a product is `p + e` with `e` from a
/// fused multiply-add, a sum `s + e` by Knuth's two-sum). So the sign it gives is the sign
/// of the true determinant of the given doubles, as GEOS's robust predicates give it.
package enum ExactPredicates {
    /// +1 when c lies left of the line a → b, -1 right of it, 0 on it.
    package static func orient(_ a: Coordinate, _ b: Coordinate, _ c: Coordinate) -> Int {
        let left = (a.x - c.x) * (b.y - c.y)
        let right = (a.y - c.y) * (b.x - c.x)
        let det = left - right
        // Shewchuk's ccwerrboundA, (3 + 16ε)ε.
        let bound = 3.3306690738754716e-16 * (abs(left) + abs(right))
        if det > bound { return 1 }
        if -det > bound { return -1 }
        return exactSign(a, b, c)
    }

    private static func twoDiff(_ a: Double, _ b: Double) -> (Double, Double) {
        let s = a - b, bb = a - s
        return (s, (a - (s + bb)) + (bb - b))
    }

    private static func twoProduct(_ a: Double, _ b: Double) -> (Double, Double) {
        let p = a * b
        return (p, (-p).addingProduct(a, b))
    }

    /// The sign of (a.x - c.x)(b.y - c.y) - (a.y - c.y)(b.x - c.x), computed exactly.
    private static func exactSign(_ a: Coordinate, _ b: Coordinate, _ c: Coordinate) -> Int {
        let (acx, acxt) = twoDiff(a.x, c.x), (bcy, bcyt) = twoDiff(b.y, c.y)
        let (acy, acyt) = twoDiff(a.y, c.y), (bcx, bcxt) = twoDiff(b.x, c.x)
        var terms: [Double] = []
        terms.reserveCapacity(16)
        for (u, v, sign) in [(acx, bcy, 1.0), (acx, bcyt, 1), (acxt, bcy, 1), (acxt, bcyt, 1),
                             (acy, bcx, -1), (acy, bcxt, -1), (acyt, bcx, -1), (acyt, bcxt, -1)] {
            let (p, e) = twoProduct(u, v)
            terms.append(sign * p)
            terms.append(sign * e)
        }
        // Grow a nonoverlapping expansion term by term (each step exact); its largest
        // nonzero component carries the sign of the whole sum.
        var expansion: [Double] = []
        expansion.reserveCapacity(17)
        for t in terms where t != 0 {
            var q = t
            var next: [Double] = []
            next.reserveCapacity(expansion.count + 1)
            for e in expansion {
                let s = q + e, bv = s - q
                let err = (q - (s - bv)) + (e - bv)
                if err != 0 { next.append(err) }
                q = s
            }
            if q != 0 { next.append(q) }
            expansion = next
        }
        guard let top = expansion.last else { return 0 }
        return top > 0 ? 1 : -1
    }

    /// Whether the closed polygonal shape (interior or boundary) holds the point, decided
    /// exactly on the given doubles: the `covers` of GEOS.
    package static func covers(_ polygons: [[[Coordinate]]], _ p: Coordinate) -> Bool {
        for rings in polygons {
            var inside = false
            for ring in rings where ring.count > 1 {
                for k in 0..<(ring.count - 1) {
                    let a = ring[k], b = ring[k + 1]
                    let aAbove = a.y > p.y, bAbove = b.y > p.y
                    // Within the edge's box: on the edge when collinear.
                    if p.x >= min(a.x, b.x) && p.x <= max(a.x, b.x) && p.y >= min(a.y, b.y) && p.y <= max(a.y, b.y) {
                        if orient(a, b, p) == 0 { return true }
                    }
                    // Crossings of the ray east of p, each edge half-open at its lower end.
                    if aAbove != bAbove {
                        let o = orient(a, b, p)
                        if (bAbove && o > 0) || (aAbove && o < 0) { inside.toggle() }
                    }
                }
            }
            if inside { return true }
        }
        return false
    }
}
