import Foundation

/// GCJ-02 ("Mars coordinates", used by Amap, Tencent Maps and WeChat) and BD-09 (Baidu).
/// PROJ does not know them: they are deliberate obfuscations of WGS 84, published only as
/// code. The forward formulas are the public ones; their inverses have no closed form, so
/// we invert them by fixed-point iteration to far below a millimetre.
public enum ChinaOffsets {
    package static let a = 6378245.0                      // Krasovsky 1940 semi-major axis
    package static let ee = 0.00669342162296594323        // its first eccentricity squared
    package static let xPi = Double.pi * 3000.0 / 180.0

    /// Outside this box GCJ-02 is defined as WGS 84 itself.
    public static func isOutsideChina(_ c: Coordinate) -> Bool {
        c.x < 72.004 || c.x > 137.8347 || c.y < 0.8293 || c.y > 55.8271
    }

    public static func wgs84ToGCJ02(_ c: Coordinate) -> Coordinate {
        if isOutsideChina(c) { return c }
        var dLat = latOffset(c.x - 105.0, c.y - 35.0)
        var dLon = lonOffset(c.x - 105.0, c.y - 35.0)
        let radLat = c.y / 180.0 * Double.pi
        var magic = sin(radLat)
        magic = 1 - ee * magic * magic
        let sqrtMagic = sqrt(magic)
        dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * Double.pi)
        dLon = (dLon * 180.0) / (a / sqrtMagic * cos(radLat) * Double.pi)
        return Coordinate(c.x + dLon, c.y + dLat)
    }

    public static func gcj02ToWGS84(_ c: Coordinate) -> Coordinate {
        if isOutsideChina(c) { return c }
        return invert(c, wgs84ToGCJ02)
    }

    public static func gcj02ToBD09(_ c: Coordinate) -> Coordinate {
        let z = sqrt(c.x * c.x + c.y * c.y) + 0.00002 * sin(c.y * xPi)
        let theta = atan2(c.y, c.x) + 0.000003 * cos(c.x * xPi)
        return Coordinate(z * cos(theta) + 0.0065, z * sin(theta) + 0.006)
    }

    /// The textbook closed-form inverse is off by up to ~1e-6 degrees (0.1 m); iterating on
    /// the forward formula removes that.
    public static func bd09ToGCJ02(_ c: Coordinate) -> Coordinate { invert(c, gcj02ToBD09) }

    public static func wgs84ToBD09(_ c: Coordinate) -> Coordinate { gcj02ToBD09(wgs84ToGCJ02(c)) }
    public static func bd09ToWGS84(_ c: Coordinate) -> Coordinate { gcj02ToWGS84(bd09ToGCJ02(c)) }

    /// Solves forward(w) = target for w. Both offsets are smooth and small (< 1 km), so
    /// w ← w + (target − forward(w)) converges fast: 1e-12° is about 0.1 µm.
    package static func invert(_ target: Coordinate, _ forward: (Coordinate) -> Coordinate) -> Coordinate {
        var w = target
        for _ in 0..<50 {
            let f = forward(w)
            let dx = target.x - f.x, dy = target.y - f.y
            w.x += dx
            w.y += dy
            if abs(dx) < 1e-12 && abs(dy) < 1e-12 { break }
        }
        return w
    }

    private static func latOffset(_ x: Double, _ y: Double) -> Double {
        var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
        r += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        r += (20.0 * sin(y * .pi) + 40.0 * sin(y / 3.0 * .pi)) * 2.0 / 3.0
        r += (160.0 * sin(y / 12.0 * .pi) + 320.0 * sin(y * .pi / 30.0)) * 2.0 / 3.0
        return r
    }

    private static func lonOffset(_ x: Double, _ y: Double) -> Double {
        var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
        r += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        r += (20.0 * sin(x * .pi) + 40.0 * sin(x / 3.0 * .pi)) * 2.0 / 3.0
        r += (150.0 * sin(x / 12.0 * .pi) + 300.0 * sin(x / 30.0 * .pi)) * 2.0 / 3.0
        return r
    }
}
