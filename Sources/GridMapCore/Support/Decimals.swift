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
    let value = Double(mantissa) / exactPowersOfTen[fraction]
    return negative ? -value : value
}

/// 10^0 … 10^15: every one an exact double, which the fast paths above and in
/// `JSONValue.appendShortDecimal` rely on.
let exactPowersOfTen: [Double] = (0...15).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }
