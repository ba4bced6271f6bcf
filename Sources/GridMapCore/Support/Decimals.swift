/// Exact conversions between plain decimals and doubles for the numbers every reply and
/// request carries (coordinates, distances), cheaper than `strtod` and `description`.

/// A plain decimal (`-109.4300`: optional sign, digits, optional fraction, at most 15
/// significant digits) converted without `strtod`. Its digits form an integer below 2^53
/// and its scale a power of ten up to 10^15, both exact doubles, so one IEEE division
/// gives the correctly rounded result, the same double `strtod` returns (Clinger's fast
/// path). Anything else returns nil, for the general parser.
public func exactDecimal(_ bytes: UnsafeRawBufferPointer) -> Double? {
    var i = 0
    var negative = false
    if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
        negative = bytes[i] == UInt8(ascii: "-")
        i += 1
    }
    var mantissa: Int64 = 0
    var digits = 0, fraction = 0
    var seenPoint = false
    while i < bytes.count {
        let b = bytes[i]
        if b == UInt8(ascii: "."), !seenPoint {
            seenPoint = true
        } else {
            let d = b &- UInt8(ascii: "0")
            guard d <= 9 else { return nil }
            mantissa = mantissa * 10 + Int64(d)
            digits += 1
            if seenPoint { fraction += 1 }
            guard digits <= 15 else { return nil }
        }
        i += 1
    }
    guard digits > 0 else { return nil }
    let value = Double(mantissa) / exactPowerOfTen(fraction)
    return negative ? -value : value
}

/// 10^k for 0 ≤ k ≤ 15: every one an exact double, which the fast paths above and in
/// `JSONValue.appendShortDecimal` rely on. A switch of literals compiles to a constant
/// table; a global array would cost a lazy-initialization check and a bounds check a read.
@inline(__always)
func exactPowerOfTen(_ k: Int) -> Double {
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
    return v
}
