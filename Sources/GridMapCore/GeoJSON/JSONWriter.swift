extension JSONValue {
    /// Compact JSON text.
    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += JSONValue.format(n)
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (k, item) in items.enumerated() {
                if k > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (k, (key, value)) in o.pairs.enumerated() {
                if k > 0 { out += "," }
                JSONValue.writeString(key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
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
            out.append(contentsOf: UnsafeBufferPointer(start: b.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: b.count - i))
        }
        return true
    }

    /// `writeString` as UTF-8 bytes.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        var text = ""
        writeString(s, to: &text)
        out.append(contentsOf: text.utf8)
    }

    public static func writeString(_ s: String, to out: inout String) {
        // Most strings need no escaping: append them whole (per-scalar appends are slow).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += "\""
            out += s
            out += "\""
            return
        }
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}

extension Array where Element == UInt8 {
    /// Appends a static string's UTF-8 bytes: the fixed keys of the replies built as bytes.
    @inline(__always)
    mutating func appendText(_ text: StaticString) {
        append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
