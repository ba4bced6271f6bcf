import GridMapCore
import NIOCore
import Testing
@testable import GridMapRESP
import GridMapStores
import GridMapPlanning

/// Feeds a million random and mutated frames to the request decoder: it must answer every
/// one with a request, "need more bytes" or a protocol error, consume only whole frames,
/// and never allocate beyond what the limits allow.
@Suite struct DecoderFuzzTests {
    typealias Rng = SeededRandom

    static let seeds: [[UInt8]] = [
        "*3\r\n$6\r\nLOCATE\r\n$6\r\n109.43\r\n$5\r\n24.30\r\n", "*1\r\n$4\r\nPING\r\n", "PING\r\n",
        "LOCATE 109.43 24.3 CRS gcj02\r\n", "*2\r\n$4\r\nGRID\r\n$15\r\n450203001001001\r\n", "*0\r\n", "\r\n",
        "*2\r\n$10\r\nINTERSECTS\r\n$36\r\nPOLYGON((0 0, 1 0, 1 1, 0 1, 0 0))\r\n", "hello \"a b\\x41\" 'c d'\n",
        "*1\r\n*1\r\n$1\r\nx\r\n", "*2\r\n:12\r\n+OK\r\n", "$-1\r\n", "*-1\r\n",
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ rng: inout Rng) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !b.isEmpty:
                b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 1 where !b.isEmpty: b.removeSubrange(Int.random(in: 0..<b.count, using: &rng)...)
            case 2:
                let piece = ["*", "$", "\r\n", "-1", "99999999999", "\"", "\\x", ":", "0"].randomElement(using: &rng)!
                b.insert(contentsOf: Array(piece.utf8), at: Int.random(in: 0...b.count, using: &rng))
            case 3 where !b.isEmpty: b.remove(at: Int.random(in: 0..<b.count, using: &rng))
            case 4: b += seeds.randomElement(using: &rng)!
            case 5: b = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            default: b.insert(contentsOf: Array("*1000000\r\n$2147483647\r\n".utf8), at: 0)
            }
        }
        return b
    }

    @Test func aMillionFramesNeitherCrashNorHang() {
        var rng = Rng(seed: 2026)
        var limits = RESPLimits()
        limits.maxRequestBytes = 4096
        limits.maxArrayLength = 64
        limits.maxInlineBytes = 1024
        var outcomes = (requests: 0, needMore: 0, errors: 0)
        for n in 0..<1_000_000 {
            let frame = n % 10 == 0 ? DecoderFuzzTests.seeds[n / 10 % DecoderFuzzTests.seeds.count]
                : DecoderFuzzTests.mutate(DecoderFuzzTests.seeds.randomElement(using: &rng)!, &rng)
            var buffer = ByteBuffer(bytes: frame)
            // A frame holds at most one byte per request, so this bounds the loop.
            for _ in 0...frame.count {
                let before = buffer.readerIndex
                var general = buffer
                do {
                    guard let request = try RESPRequestDecoder.parseFrame(&buffer, limits: limits) else {
                        outcomes.needMore += 1
                        break
                    }
                    outcomes.requests += 1
                    #expect(buffer.readerIndex > before)
                    #expect(request.count <= limits.maxArrayLength)
                    // The in-place fast path and the general parser agree on every frame.
                    let arguments = (0..<request.count).map(request.bytes)
                    #expect(try RESPRequestDecoder.parseGeneral(&general, limits: limits) == arguments)
                    #expect(general.readerIndex == buffer.readerIndex)
                } catch {
                    #expect(error is RESPProtocolError)
                    #expect(buffer.readerIndex == before)
                    outcomes.errors += 1
                    break
                }
                if buffer.readableBytes == 0 { break }
            }
        }
        print("fuzz: 1,000,000 frames → \(outcomes.requests) requests, \(outcomes.needMore) incomplete, "
              + "\(outcomes.errors) protocol errors")
        #expect(outcomes.requests > 100_000 && outcomes.errors > 100_000 && outcomes.needMore > 10_000)
    }

    @Test func limitsAreEnforcedBeforeAllocation() throws {
        var limits = RESPLimits()
        limits.maxRequestBytes = 1024
        var huge = ByteBuffer(string: "*1\r\n$2147483647\r\nabc")
        #expect(throws: RESPProtocolError.self) { try RESPRequestDecoder.parseFrame(&huge, limits: limits) }
        var long = ByteBuffer(string: "*2000\r\n")
        #expect(throws: RESPProtocolError.self) { try RESPRequestDecoder.parseFrame(&long, limits: limits) }
        var deep = ByteBuffer(string: "*1\r\n*1\r\n*1\r\n$1\r\nx\r\n")
        #expect(throws: RESPProtocolError.self) { try RESPRequestDecoder.parseFrame(&deep, limits: limits) }
        var partial = ByteBuffer(string: "*2\r\n$4\r\nPING\r\n$3\r\nab")
        #expect(try RESPRequestDecoder.parseFrame(&partial, limits: limits) == nil)
        #expect(partial.readerIndex == 0)
    }

    /// Random arrays of random byte strings (CRLF and binary inside, empty ones) come back
    /// exactly, and every proper prefix of a frame asks for more bytes without consuming any.
    @Test func bulkArraysRoundTripAndPrefixesWait() throws {
        var rng = Rng(seed: 7)
        let limits = RESPLimits()
        for _ in 0..<2_000 {
            let arguments: [[UInt8]] = (0..<Int.random(in: 1...6, using: &rng)).map { _ in
                (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                    Bool.random(using: &rng)
                        ? UInt8.random(in: 0...255, using: &rng) : Array("\r\n$*".utf8).randomElement(using: &rng)!
                }
            }
            var frame = Array("*\(arguments.count)\r\n".utf8)
            for a in arguments { frame += Array("$\(a.count)\r\n".utf8) + a + Array("\r\n".utf8) }
            var whole = ByteBuffer(bytes: frame + Array("*1\r\n$4\r\nPING\r\n".utf8))
            let request = try #require(try RESPRequestDecoder.parseFrame(&whole, limits: limits))
            #expect((0..<request.count).map(request.bytes) == arguments)
            #expect(whole.readableBytes == 14)
            for cut in [0, 1, frame.count / 2, frame.count - 1] {
                var prefix = ByteBuffer(bytes: frame[..<cut])
                #expect(try RESPRequestDecoder.parseFrame(&prefix, limits: limits) == nil)
                #expect(prefix.readerIndex == 0)
            }
        }
    }

    /// The server's number parser gives the very double `Double(String)` (strtod) gives, or
    /// declines and leaves the input to it.
    @Test func exactDecimalsMatchStrtod() {
        var rng = Rng(seed: 11)
        func parse(_ s: String) -> Double? { Array(s.utf8).withUnsafeBytes(exactDecimal) }
        for _ in 0..<200_000 {
            let whole = String(Int.random(in: 0...999_999, using: &rng))
            let fraction = String(
                (0..<Int.random(in: 0...10, using: &rng)).map { _ in "0123456789".randomElement(using: &rng)! })
            let sign = ["", "-", "+"].randomElement(using: &rng)!
            let text = sign + whole + (fraction.isEmpty && Bool.random(using: &rng) ? "" : "." + fraction)
            let expected = Double(text)!
            guard let v = parse(text) else {
                #expect(whole.count + fraction.count > 15, "declined \(text)")
                continue
            }
            #expect(v.bitPattern == expected.bitPattern, "\(text): \(v) vs \(expected)")
        }
        for declined in ["", "-", ".", "+.", "1e", "1e+", "1.2.3", "0x10", "12a", " 1", "12345678901234567890",
                         "inf", "nan", "4.9e-324", "1e-310"] {
            #expect(parse(declined) == nil, "\(declined)")
        }
        #expect(parse("109.4300") == 109.43 && parse("-0")?.sign == .minus && parse(".5") == 0.5 && parse("7.") == 7)
    }
}
