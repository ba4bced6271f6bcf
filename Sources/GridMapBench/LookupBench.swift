import ArgumentParser
import Dispatch
import Foundation
import GridMapCore
import GridMapRESP
import NIOCore
import GridMapPlanning

struct LookupBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract:
            "Measure index build, point-in-grid, nearest, radius and area queries on a dataset (build with -c release)."
    )

    @Option(help: "Point lookups to time.") var points = 2_000_000
    @Option(help: "Nearest/radius queries to time.") var queries = 200_000
    @Option(help: "Data directory laid out like data/yufeng (default: the bundled Yufeng data).") var data: String?

    func run() throws {
        #if DEBUG
        print("warning: a debug build; figures are meaningful only with `swift build -c release`")
        #endif
        let dir = data ?? BenchData.defaultDirectory
        var t = now()
        let dataset: Dataset
        do { dataset = try Dataset.load(directory: dir) } catch { throw BenchFailure(error) }
        let loadMs = ms(since: t)
        t = now()
        let gridIndex = try GridIndex(polygons: dataset.grids.sorted { $0.id < $1.id }.map(\.shape))
        let gridBuildMs = ms(since: t)
        // Resident size with the heap's freed pages handed back, before and after: what the
        // snapshot itself holds, not the temporaries of building it.
        releaseFreedMemory()
        let rssBefore = residentBytes()
        t = now()
        let snapshot = try Snapshot(dataset: dataset)
        let snapshotMs = ms(since: t)
        releaseFreedMemory()
        let rssAfter = residentBytes()
        _ = gridIndex
        let vertices = dataset.grids.reduce(0) { $0 + $1.shape.vertexCount }
        print("data: \(dir)")
        print("  \(dataset.grids.count) grids (\(vertices) vertices), \(dataset.resources.count) resources, "
              + "\(dataset.addresses.count) addresses; read in \(fmt(loadMs)) ms")
        let layout = snapshot.grids.layout()
        print("index build: grid index \(fmt(gridBuildMs)) ms, \(mib(snapshot.grids.memoryBytes)) MiB; "
              + "whole snapshot (grids + resources + lookups) \(fmt(snapshotMs)) ms; "
              + "RSS +\(mib(rssAfter - rssBefore)) MiB")
        let recordBytes = layout.recordBytes / max(1, layout.cellsWithRecords)
        print("  \(layout.cells) cells, \(layout.cellsWithRecords) crossed by boundaries: "
              + "records of \(recordBytes) bytes on average, "
              + "\(layout.sections) grid sections (\(layout.wideSections) wide)")

        var random = SeededRandom(seed: 42)
        let box = dataset.outline.bounds!
        let sample = (0..<points).map { _ in
            Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY))
        }
        var found = 0
        for p in sample.prefix(100_000) { if snapshot.locate(p) != nil { found &+= 1 } }  // warm up
        t = now()
        for p in sample { if snapshot.locate(p) != nil { found &+= 1 } }
        let pipNs = Double(now() - t) / Double(sample.count)
        var batchOut = [Int32](repeating: -1, count: sample.count)
        t = now()
        sample.withUnsafeBufferPointer { s in
            batchOut.withUnsafeMutableBufferPointer { snapshot.grids.locate(s, into: $0) }
        }
        let batchNs = Double(now() - t) / Double(sample.count)
        t = now()
        let many = snapshot.locateMany(sample)
        let manySeconds = Double(now() - t) / 1e9
        found &+= many.count
        found &+= Int(batchOut[points / 2])
        let manyRate = fmt(Double(sample.count) / manySeconds / 1e6)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("point-in-grid, random points over the bounding box: one at a time \(fmt(pipNs)) ns/lookup, "
              + "batched \(fmt(batchNs)) ns/lookup (single-threaded); "
              + "\(manyRate) M lookups/s on \(cores) cores (locateMany)")

        let inside =
            dataset.addresses.isEmpty
            ? sample
            : (0..<points).map { _ in dataset.addresses[random.int(0...(dataset.addresses.count - 1))].location }
        t = now()
        for p in inside { if snapshot.locate(p) != nil { found &+= 1 } }
        let insideNs = Double(now() - t) / Double(inside.count)
        t = now()
        inside.withUnsafeBufferPointer { s in
            batchOut.withUnsafeMutableBufferPointer { snapshot.grids.locate(s, into: $0) }
        }
        found &+= Int(batchOut[points / 2])
        let insideBatchNs = Double(now() - t) / Double(inside.count)
        print("point-in-grid, address points (all inside the district): one at a time \(fmt(insideNs)) ns/lookup, "
              + "batched \(fmt(insideBatchNs)) ns/lookup")
        let memory = MemoryLatency.measure(bytes: snapshot.grids.memoryBytes)
        print("  for scale: a random read over \(mib(snapshot.grids.memoryBytes)) MiB (the grid index's size) "
              + "costs \(fmt(memory.dependent)) ns when it waits on the previous read, "
              + "\(fmt(memory.independent)) ns when reads overlap")

        let qs = Array(inside.prefix(queries))
        t = now()
        for q in qs { found &+= snapshot.resources.nearest(to: q, k: 5).count }
        print("nearest k=5 (any kind): \(fmt(Double(now() - t) / Double(qs.count))) ns/query")
        t = now()
        for q in qs { found &+= snapshot.resources.nearest(to: q, k: 5, kind: "grid_worker").count }
        print("nearest k=5 grid workers: \(fmt(Double(now() - t) / Double(qs.count))) ns/query")
        // Replies written as the server writes them: into one reused buffer.
        var reply: [UInt8] = []
        var replyBytes = 0
        t = now()
        for q in qs {
            reply.removeAll(keepingCapacity: true)
            snapshot.writeNearby(point: q, kind: nil, radius: nil, limit: 5, to: &reply)
            replyBytes += reply.count
        }
        let nearbyNs = Double(now() - t) / Double(qs.count)
        print("NEARBY reply (k=5 and its JSON): \(fmt(nearbyNs)) ns/query, \(replyBytes / qs.count) bytes")
        replyBytes = 0
        t = now()
        for q in qs {
            reply.removeAll(keepingCapacity: true)
            snapshot.writeLocation(grid: snapshot.locate(q), point: q, to: &reply)
            replyBytes += reply.count
        }
        let locateNs = Double(now() - t) / Double(qs.count)
        print("LOCATE reply (lookup and its JSON): \(fmt(locateNs)) ns/query, \(replyBytes / qs.count) bytes")
        if let categories = snapshot.departmentUnits?.categories.keys.sorted(), !categories.isEmpty {
            // LOCATE and ROUTE as a server answers them, through their request types: parsed
            // point, grid, (unit, staff, chain,) JSON. Interleaved rounds, medians (the VM drifts).
            let map = MapView(MapService(snapshot: snapshot))
            var locateRounds: [Double] = [], routeRounds: [Double] = []
            var routeBytes = 0
            for _ in 0..<5 {
                t = now()
                for q in qs {
                    reply.removeAll(keepingCapacity: true)
                    try LocateRequest(PointQuery(lon: q.x, lat: q.y)).answer(map, into: &reply)
                }
                locateRounds.append(Double(now() - t) / Double(qs.count))
                routeBytes = 0
                t = now()
                for (k, q) in qs.enumerated() {
                    reply.removeAll(keepingCapacity: true)
                    let category = categories[k % categories.count]
                    try RouteRequest(PointQuery(lon: q.x, lat: q.y), category: category).answer(map, into: &reply)
                    routeBytes += reply.count
                }
                routeRounds.append(Double(now() - t) / Double(qs.count))
            }
            if let layers = snapshot.departmentUnits?.clearCellsLayout() {
                print("units' clear cells: " + layers.map { "\($0.department) \(fmt($0.clear * 100))% clear" }
                    .joined(separator: ", ") + "; \(mib(layers.reduce(0) { $0 + $1.bytes })) MiB in all")
            }
            let median = { (v: [Double]) in v.sorted()[v.count / 2] }
            let (l, r) = (median(locateRounds), median(routeRounds))
            print("LOCATE request (PointQuery, lookup, JSON): \(fmt(l)) ns/query; ROUTE request (every category in "
                  + "turn: grid, unit, staff, chain, JSON): \(fmt(r)) ns/query, \(routeBytes / qs.count) bytes; "
                  + "ROUTE/LOCATE \(fmt(r / l))x (medians of 5 interleaved rounds)")
        }
        // The server's own work per pipelined request, without socket or event loop: decode,
        // run, encode, 16 requests a turn as `redis-benchmark -P 16` sends them.
        let path = ServerPath(service: MapService(snapshot: snapshot))
        for (name, frame) in [
            ("LOCATE", ["LOCATE", "109.4300", "24.3000"]), ("NEARBY", ["NEARBY", "109.4300", "24.3000", "LIMIT", "5"]),
            ("PING", ["PING"]),
        ] {
            var turn = ByteBuffer()
            for _ in 0..<16 {
                turn.writeString("*\(frame.count)\r\n")
                for a in frame { turn.writeString("$\(a.utf8.count)\r\n\(a)\r\n") }
            }
            var out = ByteBuffer()
            let turns = name == "NEARBY" ? 5_000 : 50_000
            t = now()
            for _ in 0..<turns {
                out.clear()
                found &+= try path.answer(turn, into: &out)
            }
            let requestNs = Double(now() - t) / Double(turns * 16)
            print("server path, \(name) pipelined by 16 (decode, run, encode; no socket): \(fmt(requestNs)) ns/request")
        }

        t = now()
        var inRadius = 0
        for q in qs { inRadius += snapshot.resources.within(500, of: q).count }
        let radiusNs = Double(now() - t) / Double(qs.count)
        print("radius 500 m (any kind): \(fmt(radiusNs)) ns/query, "
              + "\(fmt(Double(inRadius) / Double(qs.count))) resources each on average")

        let measurer = try MetricMeasurer()
        let areaQueries = 2000
        var overlaps = 0
        t = now()
        for q in qs.prefix(areaQueries) {
            let k = Metric.metresPerDegree(atLatitude: q.y)
            let half = Coordinate(500 / k.lon, 500 / k.lat)
            let square = Shape.polygon([
                BoundingBox(minX: q.x - half.x, minY: q.y - half.y, maxX: q.x + half.x, maxY: q.y + half.y).ring
            ])
            overlaps += try snapshot.grids(intersecting: square, measurer: measurer).count
        }
        let areaUs = Double(now() - t) / Double(areaQueries) / 1000
        print("area query, 1 km² square: \(fmt(areaUs)) µs/query, "
              + "\(fmt(Double(overlaps) / Double(areaQueries))) grids each on average")

        t = now()
        let library = try snapshot.addressLibrary
        let libraryMs = ms(since: t)
        let geocoder = Geocoder(library: library)
        // Library addresses as people type them (issue #13's forms): Chinese numerals, a wrong
        // character in the road name, prefixes dropped, an estate without its road, dashes for
        // building and unit, words around.
        var times: [UInt64] = []
        var matched = 0
        for k in 0..<min(20_000, dataset.addresses.count) {
            let a = dataset.addresses[random.int(0...(dataset.addresses.count - 1))]
            var text = a.text
            switch k % 7 {
            case 1:
                let spelled = chineseNumber(Int(a.number) ?? 0) + "号"
                text = text.replacingOccurrences(of: a.number + "号", with: spelled)
            case 2: text = text.replacingOccurrences(of: a.road, with: "东" + a.road.dropFirst())
            case 3: text = a.road + a.number + "号" + (a.building.isEmpty ? "" : a.building + "幢")
            case 4 where !a.compound.isEmpty: text = a.compound + a.building + "栋" + a.unit + "单元"
            case 5 where !a.compound.isEmpty: text = a.road + a.number + a.compound + a.building + "-" + a.unit + "-502"
            case 6: text = "我在" + a.road + a.number + "号门口，路灯坏了"
            default: break
            }
            let start = now()
            if case .addresses(let c) = try geocoder.geocode(text), c.first?.addressID == a.id { matched += 1 }
            times.append(now() - start)
        }
        times.sort()
        let p = { (q: Double) in Double(times[min(times.count - 1, Int(Double(times.count) * q))]) / 1000 }
        print("geocoding: library of \(dataset.addresses.count) addresses opened/built in \(fmt(libraryMs)) ms; "
              + "\(times.count) queries: median \(fmt(p(0.5))) µs, p99 \(fmt(p(0.99))) µs; "
              + "exact address top-1 for \(matched) (some variants drop levels)")
        if found == 42 { print("") }  // keeps the loops from being optimized away
    }
}

private func chineseNumber(_ n: Int) -> String {
    let d = Array("零一二三四五六七八九")
    if n < 10 { return String(d[n]) }
    if n < 20 { return "十" + (n % 10 == 0 ? "" : String(d[n % 10])) }
    if n < 100 { return String(d[n / 10]) + "十" + (n % 10 == 0 ? "" : String(d[n % 10])) }
    return String(n)
}

private func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
private func ms(since t: UInt64) -> Double { Double(now() - t) / 1e6 }
private func fmt(_ v: Double) -> String { v >= 100 ? String(Int(v.rounded())) : String(format: "%.1f", v) }
private func mib(_ b: Int) -> String { String(format: "%.1f", Double(b) / 1_048_576) }

/// Resident set size from /proc (Linux), for memory figures.
func residentBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    else { return 0 }
    return kb * 1024
}
