/// Exact conversions between decimals and doubles for the numbers every reply and request
/// carries (coordinates, distances), cheaper than `strtod` and `description`.

/// A decimal as programs print it (`-109.4310043995815`, `2.5e-3`: an optional sign, digits
/// with an optional fraction, an optional exponent; up to 19 significant digits) converted
/// exactly (the double `strtod` returns) without `strtod`. Nil for anything else, for
/// `parseDecimal`'s general path, and for a value that is not a finite normal double.
///
/// Two paths. With the digits an integer M < 2^53 and 10^|q| ≤ 10^22 (both exact doubles),
/// one IEEE division or multiplication gives the correctly rounded result (Clinger's fast
/// path): every decimal of 15 digits, and most of 16. Otherwise (16–19 digits) a candidate
/// from the division, off by at most an ulp, is checked against the exact value in 128-bit
/// integers and moved to its neighbour where the exact value lies in the neighbour's rounding
/// interval (`nearestDouble`). Either way no string is made and nothing is allocated.
public func exactDecimal(_ bytes: UnsafeRawBufferPointer) -> Double? {
    var i = 0
    let n = bytes.count
    var negative = false
    if i < n, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
        negative = bytes[i] == UInt8(ascii: "-")
        i += 1
    }
    var mantissa: UInt64 = 0
    var significant = 0, fraction = 0, digits = 0
    var seenPoint = false
    while i < n {
        let b = bytes[i]
        if b == UInt8(ascii: "."), !seenPoint {
            seenPoint = true
        } else {
            let d = b &- UInt8(ascii: "0")
            guard d <= 9 else { break }
            digits += 1
            if seenPoint { fraction += 1 }
            // Leading zeros are not significant; 19 digits always fit in 64 bits.
            if mantissa != 0 || d != 0 {
                significant += 1
                guard significant <= 19 else { return nil }
                mantissa = mantissa &* 10 &+ UInt64(d)
            }
        }
        i += 1
    }
    guard digits > 0 else { return nil }
    var exponent = 0
    if i < n {
        guard bytes[i] | 0x20 == UInt8(ascii: "e") else { return nil }
        i += 1
        var minus = false
        if i < n, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            minus = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < n else { return nil }
        while i < n {
            let d = bytes[i] &- UInt8(ascii: "0")
            guard d <= 9, exponent < 10_000 else { return nil }
            exponent = exponent * 10 + Int(d)
            i += 1
        }
        if minus { exponent = -exponent }
    }
    guard mantissa != 0 else { return negative ? -0.0 : 0 }
    let q = exponent - fraction
    let value: Double
    if mantissa < 1 << 53, q >= -22, q <= 22 {
        value = q < 0 ? Double(mantissa) / exactPowerOfTen(-q) : Double(mantissa) * exactPowerOfTen(q)
    } else if q < 0, q >= -20, let v = nearestDouble(mantissa, tenths: -q) {
        value = v
    } else {
        return nil
    }
    guard value.isFinite, value >= Double.leastNormalMagnitude else { return nil }
    return negative ? -value : value
}

/// The double nearest to M / 10^p (ties to even), for 0 < p ≤ 20, or nil where the check
/// would not fit in 128 bits. A double y = m·2^e has the rounding interval
/// [(2m−1)·2^(e−1), (2m+1)·2^(e−1)] (its lower half as wide again below a power of two):
/// scaled by 4·10^p·2^−e, the test is integer comparisons of M·2^(2−e) with (4m ± 2)·10^p.
@inline(__always)
package func nearestDouble(_ M: UInt64, tenths p: Int) -> Double? {
    let ten = tenToThe(p)
    var y = Double(M) / exactPowerOfTen(min(p, 22))
    for _ in 0..<3 {
        guard y.isNormal else { return nil }
        let m = UInt64(y.significandBitPattern) | 1 << 52
        let e = Int(y.exponent) - 52
        let shift = 2 - e
        guard shift >= 0, shift + (64 - M.leadingZeroBitCount) <= 127 else { return nil }
        let x = UInt128(M) << shift
        let center = UInt128(m) * 4 * ten
        let below = m == 1 << 52 ? ten : 2 * ten
        let lower = center - below, upper = center + 2 * ten
        if x < lower || (x == lower && m & 1 == 1) {
            y = y.nextDown
        } else if x > upper || (x == upper && m & 1 == 1) {
            y = y.nextUp
        } else {
            return y
        }
    }
    return nil
}

/// 10^p for 0 ≤ p ≤ 38, as a 128-bit integer.
@inline(__always)
package func tenToThe(_ p: Int) -> UInt128 {
    var r: UInt128 = 1
    for _ in 0..<p { r &*= 10 }
    return r
}

/// 10^k for 0 ≤ k ≤ 22: every one an exact double, which the fast paths above and in
/// `JSONValue.appendShortDecimal` rely on. A switch of literals compiles to a constant
/// table; a global array would cost a lazy-initialization check and a bounds check a read.
@inline(__always)
package func exactPowerOfTen(_ k: Int) -> Double {
    switch k {
    case 0: 1
    case 1: 1e1
    case 2: 1e2
    case 3: 1e3
    case 4: 1e4
    case 5: 1e5
    case 6: 1e6
    case 7: 1e7
    case 8: 1e8
    case 9: 1e9
    case 10: 1e10
    case 11: 1e11
    case 12: 1e12
    case 13: 1e13
    case 14: 1e14
    case 15: 1e15
    case 16: 1e16
    case 17: 1e17
    case 18: 1e18
    case 19: 1e19
    case 20: 1e20
    case 21: 1e21
    case 22: 1e22
    default: .nan
    }
}

/// A number as a request or a CSV field may write it: an optional sign, digits with an
/// optional fraction, an optional exponent (`1.5e-3`), nothing else: no hexadecimal (`0x1p3`),
/// no `inf` or `nan`, no byte after it (`109.43\0abc` is not 109.43, as `strtod` would read
/// it). Finite, or nil. The one definition every skin parses coordinates with.
public func parseDecimal(_ text: some StringProtocol) -> Double? {
    var sawDigit = false, sawPoint = false, sawExponent = false, exponentDigit = true
    var previous: UInt8 = 0
    for (k, b) in text.utf8.enumerated() {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            if sawExponent { exponentDigit = true } else { sawDigit = true }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard k == 0 || previous == UInt8(ascii: "e") || previous == UInt8(ascii: "E") else { return nil }
        case UInt8(ascii: "."):
            guard !sawPoint, !sawExponent else { return nil }
            sawPoint = true
        case UInt8(ascii: "e"), UInt8(ascii: "E"):
            guard sawDigit, !sawExponent else { return nil }
            sawExponent = true
            exponentDigit = false
        default:
            return nil
        }
        previous = b
    }
    guard sawDigit, exponentDigit, let v = Double(String(text)), v.isFinite else { return nil }
    // A subnormal (below 2.2e-308), or a value so small it reads as 0 (`1e-99999`), is no
    // coordinate or distance anyone means: out of range.
    guard v == 0 || v.magnitude >= Double.leastNormalMagnitude else { return nil }
    if v == 0, text.utf8.prefix(while: { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") })
        .contains(where: { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") }) { return nil }
    return v
}
