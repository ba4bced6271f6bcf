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

    /// The shortest round-trip text of `n`, the digits `format` (Swift's `description`)
    /// prints, for 1e-4 ≤ |n| < 1000 with at most 12 decimals; false for anything else.
    ///
    /// Why it is the same text: for the first k with m = round(|n|·10^k) and m / 10^k == |n|,
    /// m < 10^15 < 2^53 and 10^k are exact doubles, so the division is correctly rounded and
    /// the k-decimal number m·10^-k reads back as n. It is the shortest such decimal (no
    /// smaller k did), and the only one with k decimals: neighbouring k-decimal numbers are
    /// 10^-k ≥ 10^-12 apart, more than the ulp of any |n| < 1000 (1.1e-13). Swift prints
    /// plain decimals (no exponent) in this range.
    static func appendShortDecimal(_ n: Double, to out: inout [UInt8]) -> Bool {
        let a = n.magnitude
        guard a >= 1e-4, a < 1000 else { return false }
        var k = 0
        var m = a
        // m < 2^52 here, so adding and taking away 2^52 rounds it to an integer in one
        // addition (ties to even, which never matters: a tie cannot read back as `a`);
        // `rounded()` would be a libm call.
        while ((m + 0x1p52) - 0x1p52) / exactPowerOfTen(k) != a {
            k += 1
            guard k <= 12 else { return false }
            m = a * exactPowerOfTen(k)
        }
        var digits = UInt64((m + 0x1p52) - 0x1p52)
        // Digits from the right: k decimals, the point, then the integer part.
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &text) { b in
            var i = b.count
            for _ in 0..<k {
                i -= 1; b[i] = UInt8(ascii: "0") + UInt8(digits % 10); digits /= 10
            }
            if k > 0 { i -= 1; b[i] = UInt8(ascii: ".") }
            repeat { i -= 1; b[i] = UInt8(ascii: "0") + UInt8(digits % 10); digits /= 10 } while digits > 0
            if n < 0 { i -= 1; b[i] = UInt8(ascii: "-") }
            out.append(
                contentsOf: UnsafeBufferPointer(
                    start: b.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: b.count - i))
        }
        return true
    }

    /// A JSON string literal of `s`, escaped where JSON requires it.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escaping: append them whole.
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
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
