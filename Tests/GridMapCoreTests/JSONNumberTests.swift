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

/// Reply numbers take a fast formatting path; it must print exactly what `format` (Swift's
/// shortest round-trip `description`) prints, or decline.
@Suite struct JSONNumberTests {
    func fast(_ n: Double) -> String? {
        var out: [UInt8] = []
        return JSONValue.appendShortDecimal(n, to: &out) ? String(decoding: out, as: UTF8.self) : nil
    }

    @Test func fastPathPrintsWhatFormatPrints() {
        var rng = SeededRandom(seed: 42)
        var taken = 0
        var samples: [Double] = [
            1e-4, (1e-4).nextDown, (1e-4).nextUp, 999.999999999999, 1000, (1000.0).nextDown, 0, -0.0,
            .nan, .infinity, -.infinity, 0.1, 0.2, 0.3, 109.43, -24.3, 180, -180, 1e-12, 123.456789012345,
            1e-5, 0.00005, 3e-7, 0.00001234, -0.000099,
        ]
        for _ in 0..<300_000 {
            // Short decimals as clients type them and as distances are rounded, and their neighbours.
            let whole = String(Int.random(in: 0...999, using: &rng))
            let decimals = String(
                (0..<Int.random(in: 0...13, using: &rng)).map { _ in "0123456789".randomElement(using: &rng)! })
            let v = Double((Bool.random(using: &rng) ? "-" : "") + whole + "." + decimals + "0")!
            let small = v / [1, 1e3, 1e5, 1e7].randomElement(using: &rng)!
            samples += [v, v.nextUp, v.nextDown, small, Double.random(in: -1000...1000, using: &rng)]
        }
        for n in samples {
            let expected = JSONValue.format(n)
            var out: [UInt8] = []
            JSONValue.appendNumber(n, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == expected, "\(n.bitPattern)")
            if let f = fast(n) {
                taken += 1
                #expect(f == expected, "fast path printed \(f) for \(expected)")
            }
        }
        #expect(taken > 250_000, "the fast path was taken \(taken) times")
        #expect(fast(109.43) == "109.43" && fast(-0.5) == "-0.5" && fast(180) == "180" && fast(0.0001) == "0.0001")
        #expect(fast((1e-4).nextDown) == nil && fast(1000) == nil && fast(.nan) == nil)
        #expect(fast(0.1 + 0.2) == "0.30000000000000004" && fast(109.4310043995815) == "109.4310043995815")
    }

    /// Distances are written rounded to 0.1 or 0.01 m without the general formatter; the text
    /// is what the formatter prints for the rounded value.
    @Test func roundedDistancesPrintWhatFormatPrints() {
        var rng = SeededRandom(seed: 7)
        var samples: [Double] = [0, 0.004, 0.005, 0.015, 0.1, 999.995, 1000, 1000.004, 12345.675, 1e11, 3e12, -1, .nan]
        for _ in 0..<200_000 {
            samples += [Double.random(in: 0...100, using: &rng), Double.random(in: 0...50_000, using: &rng),
                        Double(Int.random(in: 0...10_000_000, using: &rng)) / 100]
        }
        for x in samples {
            for decimals in [1, 2] {
                let scale = decimals == 1 ? 10.0 : 100.0
                var out: [UInt8] = []
                JSONValue.appendRounded(x, decimals: decimals, to: &out)
                #expect(String(decoding: out, as: UTF8.self) == JSONValue.format((x * scale).rounded() / scale),
                        "\(x) to \(decimals) decimals")
            }
        }
    }
}

/// Every answer's strings go through `appendString`: what needs escaping is escaped, the rest
/// (CJK included) passes whole, and the parser reads back what was written.
@Suite struct JSONStringTests {
    @Test func stringsAreEscapedAndReadBack() throws {
        let texts = ["鱼峰区 网格", "say \"hi\"", #"C:\grid"#, "line\nnext\r\ttab", "\u{1}\u{1f}", "", "é😀"]
        for text in texts {
            let bytes = JSONValue.object(["k": .string(text), "list": .array([.string(text), .null])]).bytes
            #expect(!bytes.contains { $0 < 0x20 }, "a control byte left unescaped in \(text.debugDescription)")
            let back = try JSONParser.parse(bytes)
            #expect(back["k"]?.string == text && back["list"]?.array?.first?.string == text)
        }
        var out: [UInt8] = []
        JSONValue.appendString("\u{1}\"", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""\u0001\"""#)
    }
}

/// Bytes that are not UTF-8 inside a string are refused, with and without escapes beside them;
/// ASCII and Chinese are read as they are; a string not stored contiguously is written alike.
@Suite struct JSONUTF8Tests {
    @Test func invalidUTF8IsRefused() throws {
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE7, 0xBD], [0x61, 0xF5, 0x80, 0x80, 0x80]] {
            #expect(throws: (any Error).self) { try JSONParser.parse([0x22] + bad + [0x22]) }
            #expect(throws: (any Error).self) { try JSONParser.parse([0x22, 0x5C, 0x6E] + bad + [0x22]) }
        }
        #expect(try JSONParser.parse(Array("\"grid_450203\"".utf8)).string == "grid_450203")
        #expect(try JSONParser.parse(Array("\"鱼峰区\\n\"".utf8)).string == "鱼峰区\n")
        var out: [UInt8] = []
        JSONValue.appendString(NSString(string: "网格 \"1\"") as String, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\"网格 \\\"1\\\"\"")
    }
}
