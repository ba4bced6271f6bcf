import Foundation
import Testing
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

/// Coordinates with every digit a program prints (16 or 17 significant: JavaScript, Python's
/// repr, gridmap's own replies) are read to the very double `strtod` reads and written back as
/// the text Swift's `description` writes, on the fast paths, not through strings.
@Suite struct FullPrecisionTests {
    static func parse(_ s: String) -> Double? { Array(s.utf8).withUnsafeBytes(exactDecimal) }

    static func written(_ n: Double) -> String {
        var out: [UInt8] = []
        JSONValue.appendNumber(n, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A million doubles as programs print them, in and around the district's range and over
    /// every magnitude the fast writer takes, and their %.17g and %.16g spellings.
    @Test func randomDoublesReadAndWriteExactly() {
        var rng = SeededRandom(seed: 2026)
        var parsedFast = 0, writtenFast = 0
        for k in 0..<1_000_000 {
            let v: Double
            switch k % 4 {
            case 0: v = Double.random(in: 109.2...109.7, using: &rng)
            case 1: v = Double.random(in: 24.1...24.5, using: &rng)
            case 2: v = Double.random(in: -1000...1000, using: &rng)
            default: v = Double.random(in: 1e-4...1, using: &rng) * (Bool.random(using: &rng) ? 1 : -1)
            }
            let shortest = v.description
            for text in [shortest, String(format: "%.17g", v), String(format: "%.16g", v)] {
                let expected = strtod(text, nil)
                if let got = Self.parse(text) {
                    parsedFast += 1
                    #expect(got.bitPattern == expected.bitPattern, "\(text): \(got) vs strtod \(expected)")
                }
                #expect(parseDecimal(text)?.bitPattern == expected.bitPattern, "\(text)")
            }
            var out: [UInt8] = []
            if JSONValue.appendShortDecimal(v, to: &out) {
                writtenFast += 1
                #expect(String(decoding: out, as: UTF8.self) == JSONValue.format(v), "\(v.bitPattern)")
            }
        }
        // Every one of them takes the fast paths: no string, no strtod, no description.
        #expect(parsedFast == 3_000_000, "read on the fast path: \(parsedFast)")
        #expect(writtenFast == 1_000_000, "written on the fast path: \(writtenFast)")
    }

    /// Decimals with 16 to 19 digits and exponents, random bit patterns' shortest forms.
    @Test func longDigitsExponentsAndBitPatterns() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<300_000 {
            let digits = String((0..<Int.random(in: 16...19, using: &rng)).map { _ in
                "0123456789".randomElement(using: &rng)! })
            let point = Int.random(in: 0...digits.count, using: &rng)
            var text = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if Bool.random(using: &rng) { text += "e" + String(Int.random(in: -30...30, using: &rng)) }
            let expected = strtod(text, nil)
            if let got = Self.parse(text) { #expect(got.bitPattern == expected.bitPattern, "\(text)") }
            let bits = Double(bitPattern: UInt64.random(in: 0x3F00_0000_0000_0000...0x408F_4000_0000_0000,
                                                        using: &rng))
            #expect(Self.written(bits) == JSONValue.format(bits), "\(bits.bitPattern)")
            if let back = Self.parse(bits.description) { #expect(back == bits, "\(bits.description)") }
        }
    }

    /// Exactly halfway between two doubles, the even one; at powers of two, the narrower side.
    @Test func hardCases() {
        var rng = SeededRandom(seed: 3)
        for _ in 0..<100_000 {
            // [2^52, 2^53): the ulp is 1, so n.5 is a tie (17 digits).
            let n = UInt64.random(in: (1 << 52)..<(1 << 53), using: &rng)
            for text in ["\(n).5", "\(n / 2).25", "\(n / 2).75", "\(n)", "\(n * 2 + 1)"] {
                let expected = strtod(text, nil)
                if let got = Self.parse(text) { #expect(got.bitPattern == expected.bitPattern, "\(text)") }
            }
        }
        for p in -60...10 {
            let two = pow(2.0, Double(p))
            for v in [two, two.nextUp, two.nextDown] where v >= 1e-4 && v < 1000 {
                #expect(Self.written(v) == JSONValue.format(v), "\(v)")
                #expect(Self.parse(v.description) == v, "\(v.description)")
            }
        }
        #expect(Self.parse("109.4310043995815") == 109.4310043995815)
        #expect(Self.parse("24.29999569041801") == 24.29999569041801)
        let largest = Self.parse("1.7976931348623157e308")
        #expect(largest == nil || largest == .greatestFiniteMagnitude)
        // Subnormal values are no coordinates: out of range, on both paths.
        for tiny in ["4.9e-324", "1e-310", "2.225073858507201e-308"] {
            #expect(Self.parse(tiny) == nil && parseDecimal(tiny) == nil, "\(tiny)")
        }
        #expect(parseDecimal("2.2250738585072014e-308") == .leastNormalMagnitude)
        #expect(parseDecimal("1e400") == nil)
    }
}
