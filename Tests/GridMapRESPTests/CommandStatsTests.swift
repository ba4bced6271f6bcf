import Dispatch
import GridMapCore
import NIOCore
import Testing
@testable import GridMapRESP
import GridMapStores
import GridMapPlanning

/// INFO's per-command figures. Consecutive requests of one command in a turn share two clock
/// reads; every call and every failure must still be counted where it happened, and the
/// time split among the commands of a turn.
@Suite struct CommandStatsTests {
    @Test func aMixedPipelineCountsEveryCallAndSplitsItsTime() throws {
        let stats = ServerStats()
        let session = Session(service: MapService(snapshot: Fixture.snapshot), config: ServerConfig(), stats: stats)
        let frames: [[String]] = [
            ["PING"], ["PING"], ["LOCATE", "109.43", "24.3"], ["LOCATE", "abc", "24.3"], ["PING"],
            ["LOCATE", "109.43", "24.3"], ["NOSUCH"], ["LOCATE", "1"],
        ]
        var input = ByteBuffer(bytes: frames.flatMap(Client.encode))
        var request = RESPRequest()
        var failures = 0
        let started = DispatchTime.now().uptimeNanoseconds
        session.beginTurn()
        while try RESPRequestDecoder.parseFrame(&input, limits: session.config.limits, into: &request) {
            if case .error = CommandTable.execute(request, session) { failures += 1 }
        }
        session.endTurn()
        let elapsed = DispatchTime.now().uptimeNanoseconds - started
        stats.merge(&session.localStats)

        // The unknown command and the wrong arity are refused before they run: not counted.
        #expect(failures == 3)
        let ping = try #require(stats.totals(of: "ping")), locate = try #require(stats.totals(of: "locate"))
        #expect((ping.calls, ping.errors) == (3, 0))
        #expect((locate.calls, locate.errors) == (3, 1))
        #expect(ping.buckets.reduce(0, +) == 3 && locate.buckets.reduce(0, +) == 3)
        #expect(ping.totalNanos > 0 && locate.totalNanos > 0)
        #expect(ping.totalNanos + locate.totalNanos <= elapsed)
        #expect(
            stats.commandLines().contains { $0.hasPrefix("cmdstat_locate:calls=3,") && $0.hasSuffix(",failed_calls=1") }
        )
    }

    @Test func aRunsTimeIsSplitEvenlyIntoTheHistogram() {
        var counts = ServerStats.Counts()
        for _ in 0..<4 { counts.count(3, failed: false) }
        counts.addTime(3, nanos: 4 * 3_000, calls: 4)  // 3 µs each: under 2^2 µs
        let c = counts.commands[3]
        #expect(c.calls == 4 && c.totalNanos == 12_000)
        #expect(c.buckets[2] == 4 && c.buckets.reduce(0, +) == 4)
    }

    /// A call of 20 s once showed as `p99_usec_le=8388608`: the histogram stopped at 2^23 µs.
    @Test func longCallsAreNotClampedInP99() throws {
        let stats = ServerStats()
        var counts = ServerStats.Counts()
        let locate = try #require(CommandTable.specs.firstIndex { $0.name == "locate" })
        counts.count(locate, failed: false)
        counts.addTime(locate, nanos: 20_000_000_000, calls: 1)
        stats.merge(&counts)
        let line = try #require(stats.commandLines().first { $0.hasPrefix("cmdstat_locate:") })
        #expect(line.contains("p99_usec_le=33554432"), "\(line)")
    }
}
