import ArgumentParser
import Foundation
import GridMapCore
import GridMapStores
import GridMapPlanning

/// `gridmap-bench store`: what the store costs at a dataset's scale.
struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measure the store: import, size, start-up to a first lookup, and versions that each change one grid."
    )

    @Option(help: "Data directory to import (default: the bundled Yufeng data).") var data: String?
    @Option(help: "Versions to publish, each moving one grid's vertex.") var versions = 1000
    @Option(help: "Where to build the benchmark store (deleted first).") var scratch =
        NSTemporaryDirectory() + "/gridmap-bench.gridmap"
    @Option(
        help: ArgumentHelp(
            "Measure a copy of this existing store instead (made at --scratch): start-up phase by "
                + "phase, then publishes of one-grid changes and the rebuilds of the served version."))
    var startup: String?

    func run() throws {
        #if DEBUG
        print("warning: a debug build; figures are meaningful only with `swift build -c release`")
        #endif
        if let startup {
            do { try measureStartup(startup) } catch { throw BenchFailure(error) }
            return
        }
        let dir = data ?? BenchData.defaultDirectory
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch + suffix) }
        do {
            var t = Date()
            let dataset = try Dataset.load(directory: dir)
            let readSeconds = -t.timeIntervalSinceNow
            t = Date()
            let store = try Stores.create(scratch, from: dataset, author: "bench", message: "import")
            let importSeconds = -t.timeIntervalSinceNow
            let size0 = fileSize(scratch)
            print("data: \(dir): \(dataset.grids.count) grids, \(dataset.addresses.count) addresses")
            print("import: read files \(fmt(readSeconds)) s, create store \(fmt(importSeconds)) s, "
                  + "store \(mib(size0)) MiB")

            t = Date()
            let snapshot = try Snapshot.load(store: scratch)
            _ = snapshot.locate(dataset.grids[0].shape.polygons[0][0][0])
            print(
                "start-up: open the store, build the current version, first LOCATE: \(fmt(-t.timeIntervalSinceNow)) s")

            // Each version changes one grid's boundary: a new vertex 10 cm outside the middle of
            // its first edge, so that its community's and street's derived shapes change too
            // (the worst case for what a version stores).
            var publishTimes: [Double] = []
            var grids = dataset.grids.sorted { $0.id < $1.id }
            for k in 0..<versions {
                let i = k % grids.count
                grids[i].shape = grids[i].shape.bumpedOutward()
                let g = grids[i]
                var changes = ChangeSet()
                changes.features[.grids] = [
                    g.id: FeatureRow(Feature(id: g.id, properties: g.properties, geometry: g.shape))
                ]
                let start = Date()
                try Planner(store: store).publish(changes, parent: try store.head(), author: "bench",
                                                  message: "population of \(g.id)")
                publishTimes.append(-start.timeIntervalSinceNow)
            }
            publishTimes.sort()
            let size1 = fileSize(scratch) + fileSize(scratch + "-wal")
            let median = fmt(publishTimes[publishTimes.count / 2] * 1000)
            print("\(versions) versions, each changing one grid: store grew \(mib(size1 - size0)) MiB, "
                  + "\((size1 - size0) / max(1, versions)) bytes per version; publish median \(median) ms, "
                  + "p99 \(fmt(publishTimes[publishTimes.count * 99 / 100] * 1000)) ms")
        } catch { throw BenchFailure(error) }
    }

    /// Start-up to a first LOCATE, phase by phase, then the addresses read for geocoding, then
    /// publishes of one-grid changes each followed by the rebuild a server makes.
    private func measureStartup(_ original: String) throws {
        let path = scratch
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileManager.default.copyItem(atPath: original, toPath: path)
        let start = Date()
        var t = start
        func lap() -> String { defer { t = Date() }; return fmt(-t.timeIntervalSinceNow) }
        let store = try Stores.open(path, readOnly: true)
        let v = try store.head()
        let content = try store.content(version: v, addresses: false)
        let rows = lap()
        let dataset = try store.dataset(version: v, addresses: false)
        let made = lap()
        let snapshot = try Snapshot(dataset: dataset, addresses: try store.addressSource(version: v))
        _ = snapshot.locate(dataset.grids[0].shape.polygons[0][0][0])
        let built = lap()
        print("start-up of \(path) version \(v) (\(content.layers[.grids]?.count ?? 0) grids, "
              + "\(content.layers[.resources]?.count ?? 0) resources): read rows \(rows) s, "
              + "make the dataset \(made) s, "
              + "build the indexes and first LOCATE \(built) s; total \(fmt(-start.timeIntervalSinceNow)) s")
        _ = try snapshot.addressLibrary
        print("then, beside serving: \(snapshot.addressCount) addresses read and indexed for geocoding in \(lap()) s")

        let writer = try Stores.open(path)
        var served = snapshot
        var grids = dataset.grids
        for k in 0..<min(versions, 5) {
            let i = (k * 7919) % grids.count
            grids[i].shape = grids[i].shape.bumpedOutward()
            var changes = ChangeSet()
            let row = FeatureRow(Feature(id: grids[i].id, properties: grids[i].properties, geometry: grids[i].shape))
            changes.features[.grids] = [grids[i].id: row]
            _ = lap()
            let info = try Planner(store: writer).publish(changes, parent: try writer.head(), author: "bench",
                                                          message: "one grid")
            let published = lap()
            let next = try store.dataset(version: info.id, addresses: false)
            let read = lap()
            let addresses = try store.addressSource(version: info.id, reuse: served.addressSource)
            served = try Snapshot(dataset: next, addresses: addresses, reusing: served)
            print("publish of a one-grid change \(published) s; the server then reads it \(read) s "
                  + "and builds it \(lap()) s")
        }
    }

    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }
    private func fmt(_ v: Double) -> String { String(format: v < 10 ? "%.3f" : "%.1f", v) }
    private func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
}
