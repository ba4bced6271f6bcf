/// Every JSON answer gridmap gives is written here, one way: UTF-8 bytes appended to a
/// `[UInt8]`. Replies on the hot path (LOCATE, NEARBY) append their fixed keys and fragments
/// made once per snapshot; the rest compose a `JSONValue` and append it. Nothing edits JSON
/// text after it is written.
extension JSONValue {
    /// Compact JSON text.
    public var serialized: String { String(decoding: bytes, as: UTF8.self) }

    /// Compact JSON as UTF-8.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    public func append(to out: inout [UInt8]) {
        switch self {
        case .null: out.appendText("null")
        case .bool(let b): b ? out.appendText("true") : out.appendText("false")
        case .number(let n): JSONValue.appendNumber(n, to: &out)
        case .string(let s): JSONValue.appendString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                item.append(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            JSONValue.appendMembers(o, to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// An object's members without its braces (`"a":1,"b":2`), for replies that go on with
    /// members of their own.
    public static func appendMembers(_ o: JSONObject, to out: inout [UInt8]) {
        for (k, (key, value)) in o.pairs.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            value.append(to: &out)
        }
    }

    /// Integers without a fraction, others in Swift's shortest round-trip form; JSON has no
    /// NaN or infinity, so those become null.
    public static func format(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return n.description
    }

    /// Appends `format(n)` as UTF-8. Coordinates and distances, the numbers of every LOCATE and
    /// NEARBY reply, take a fast path; the rest goes through `format`.
    @inline(__always)
    public static func appendNumber(_ n: Double, to out: inout [UInt8]) {
        if !appendShortDecimal(n, to: &out) { out.append(contentsOf: format(n).utf8) }
    }

    /// Appends `format((x·10^decimals).rounded() / 10^decimals)` for 0 ≤ x < 1e12 (distances in
    /// metres, to 0.1 or 0.01 m), without the general formatter: that value is the double nearest
    /// m / 10^decimals for the integer m = (x·10^decimals).rounded(), and its shortest text is m
    /// with the point put in and trailing zeros dropped (doubles below 1e12 are far closer
    /// together than 10^-decimals, so no shorter decimal reads back as the same double).
    public static func appendRounded(_ x: Double, decimals: Int, to out: inout [UInt8]) {
        let scale = exactPowerOfTen(decimals)
        guard x >= 0, x < 1e12, decimals >= 0, decimals <= 3 else {
            return appendNumber((x * scale).rounded() / scale, to: &out)
        }
        var m = UInt64((x * scale).rounded())
        var k = decimals
        while k > 0 && m % 10 == 0 { m /= 10; k -= 1 }
        _ = appendDigits(m, decimals: k, negative: false, to: &out)
    }

    /// The shortest round-trip text of `n`, the digits `format` (Swift's `description`)
    /// prints, for 1e-4 ≤ |n| < 1000; false for anything else. Up to 12 decimals by a float
    /// test (below), past that by `shortestDecimal`'s exact search.
    ///
    /// Why it is the same text: for the first k with m = round(|n|·10^k) and m / 10^k == |n|,
    /// m < 10^15 < 2^53 and 10^k are exact doubles, so the division is correctly rounded and
    /// the k-decimal number m·10^-k reads back as n. It is the shortest such decimal (no
    /// smaller k did), and the only one with k decimals: neighbouring k-decimal numbers are
    /// 10^-k ≥ 10^-12 apart, more than the ulp of any |n| < 1000 (1.1e-13). Swift prints
    /// plain decimals (no exponent) in this range.
    package static func appendShortDecimal(_ n: Double, to out: inout [UInt8]) -> Bool {
        let a = n.magnitude
        guard a >= 1e-4, a < 1000 else { return false }
        var k = 0
        var m = a
        // m < 2^52 here, so adding and taking away 2^52 rounds it to an integer in one
        // addition (ties to even, which never matters: a tie cannot read back as `a`);
        // `rounded()` would be a libm call.
        var digits: UInt64
        while ((m + 0x1p52) - 0x1p52) / exactPowerOfTen(k) != a {
            k += 1
            guard k <= 12 else {
                // More digits than the float test can vouch for (what programs print for a
                // computed coordinate: 16 or 17 of them): the exact search.
                guard let (d, decimals) = shortestDecimal(a, from: 13) else { return false }
                digits = d
                k = decimals
                return appendDigits(digits, decimals: k, negative: n < 0, to: &out)
            }
            m = a * exactPowerOfTen(k)
        }
        digits = UInt64((m + 0x1p52) - 0x1p52)
        return appendDigits(digits, decimals: k, negative: n < 0, to: &out)
    }

    /// The shortest decimal N·10^−k (fewest decimals k, then nearest to `a`, ties to an even N)
    /// that reads back as `a` (1e-4 ≤ a < 1000), found with exact integer arithmetic: what
    /// Swift's `description` prints, for any number of digits. `a` = m·2^e reads back from
    /// every number in its rounding interval [(4m − b)·2^(e−2), (4m + 2)·2^(e−2)] (b = 1 below
    /// a power of two, else 2; the ends only for even m, as reading rounds ties to even).
    /// Scaled by 10^k·2^(2−e) the interval's ends are integers, below 2^122.
    /// `from`: the fewest decimals to try (the float test above has ruled out fewer than 13).
    package static func shortestDecimal(_ a: Double, from start: Int = 0) -> (digits: UInt64, decimals: Int)? {
        let m = UInt128(UInt64(a.significandBitPattern) | 1 << 52)
        let shift = 2 - (Int(a.exponent) - 52)
        guard a.isNormal, shift > 0, shift < 100 else { return nil }
        let even = m & 1 == 0
        let below: UInt128 = m == 1 << 52 ? 1 : 2
        var ten = tenToThe(start)
        for k in start...21 {
            let lo = (4 * m - below) * ten, hi = (4 * m + 2) * ten, center = 4 * m * ten
            var first = (lo + (1 << shift) - 1) >> shift
            if !even, first << shift == lo { first += 1 }
            var last = hi >> shift
            if !even, last << shift == hi { last -= 1 }
            if first <= last {
                let half = UInt128(1) << (shift - 1)
                var nearest = (center + half) >> shift
                // Exactly halfway between two: the even one.
                if (center + half) & ((1 << shift) - 1) == 0, nearest & 1 == 1 { nearest -= 1 }
                nearest = min(max(nearest, first), last)
                guard nearest < UInt128(UInt64.max) else { return nil }
                return (UInt64(nearest), k)
            }
            ten *= 10
        }
        return nil
    }

    /// Writes `digits`·10^−decimals as a plain decimal.
    private static func appendDigits(_ digits: UInt64, decimals k: Int, negative: Bool, to out: inout [UInt8])
        -> Bool
    {
        var digits = digits
        // Digits from the right: k decimals, the point, then the integer part.
        var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &text) { b in
            var i = b.count
            for _ in 0..<k {
                i -= 1; b[i] = UInt8(ascii: "0") + UInt8(digits % 10); digits /= 10
            }
            if k > 0 { i -= 1; b[i] = UInt8(ascii: ".") }
            repeat { i -= 1; b[i] = UInt8(ascii: "0") + UInt8(digits % 10); digits /= 10 } while digits > 0
            if negative { i -= 1; b[i] = UInt8(ascii: "-") }
            out.append(
                contentsOf: UnsafeBufferPointer(
                    start: b.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: b.count - i))
        }
        return true
    }

    /// A JSON string literal of `s`, escaped where JSON requires it.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escaping: appended whole, scanned as the bytes they are stored
        // as (a native string's), not through UTF8View's iterator, which a queue page's
        // thousands of strings paid for.
        let whole = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if whole == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        if whole == nil, !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for u in s.utf8 {
            switch u {
            case 0x22: out.appendText("\\\"")
            case 0x5C: out.appendText("\\\\")
            case 0x0A: out.appendText("\\n")
            case 0x0D: out.appendText("\\r")
            case 0x09: out.appendText("\\t")
            case ..<0x20:
                let low = u & 15
                out.appendText("\\u00")
                out.append(u < 0x10 ? UInt8(ascii: "0") : UInt8(ascii: "1"))
                out.append(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10)
            default: out.append(u)  // UTF-8 continuation and lead bytes pass through whole
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension Array where Element == UInt8 {
    /// Appends a static string's UTF-8 bytes: the fixed keys of the replies built as bytes.
    @inline(__always)
    public mutating func appendText(_ text: StaticString) {
        append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
