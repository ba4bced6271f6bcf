import Foundation
import GridMapTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapStores

/// The watcher's state machine: its table, and a live watcher following a store through a
/// publish, a store removed under it, and a graceful shutdown.
@Suite struct VersionWatcherTests {
    typealias State = VersionWatcher.State
    typealias Event = VersionWatcher.Event

    static let states: [State] = [.idle, .starting, .following(version: 1), .degraded(reason: "r"), .stopping, .stopped]
    static let events: [Event] = [.start, .followed(version: 2), .failed(reason: "why"), .stop, .stopped]

    @Test func theTableAllowsOnlyItsTransitions() {
        let allowed: [(State, Event, State)] = [
            (.idle, .start, .starting),
            (.starting, .followed(version: 2), .following(version: 2)),
            (.starting, .failed(reason: "why"), .degraded(reason: "why")),
            (.starting, .stop, .stopping),
            (.following(version: 1), .followed(version: 2), .following(version: 2)),
            (.following(version: 1), .failed(reason: "why"), .degraded(reason: "why")),
            (.following(version: 1), .stop, .stopping),
            (.degraded(reason: "r"), .followed(version: 2), .following(version: 2)),
            (.degraded(reason: "r"), .failed(reason: "why"), .degraded(reason: "why")),
            (.degraded(reason: "r"), .stop, .stopping),
            (.stopping, .stopped, .stopped),
        ]
        var counted = 0
        for s in Self.states {
            for e in Self.events {
                let expected = allowed.first { $0.0 == s && $0.1 == e }?.2
                #expect(VersionWatcher.next(s, on: e) == expected, "\(s) on \(e)")
                if expected != nil { counted += 1 }
            }
        }
        #expect(counted == allowed.count)
    }

    @Test func aRefusedTransitionChangesNothing() throws {
        let path = Scratch.path("watcher-refused") + ".gridmap"
        _ = try Stores.create(path, from: StoreFixture.dataset, author: "t", message: "v1")
        let watcher = VersionWatcher(service: try MapService(storeLocation: path))
        #expect(throws: VersionWatcher.InvalidTransition.self) { try watcher.handle(.followed(version: 1)) }
        #expect(watcher.state == .idle)
        #expect(try watcher.handle(.start) == .starting)
        #expect(throws: VersionWatcher.InvalidTransition.self) { try watcher.handle(.stopped) }
        #expect(watcher.state == .starting && watcher.service.watcherState == .starting)
    }

    @Test func aWatcherFollowsDegradesAndStops() async throws {
        let path = Scratch.path("watcher-live") + ".gridmap"
        _ = try Stores.create(path, from: StoreFixture.dataset, author: "t", message: "v1")
        let service = try MapService(storeLocation: path)
        let watcher = VersionWatcher(service: service, every: .milliseconds(20))
        let seen = Mutex<[String]>([])
        watcher.onChange { state in seen.withLock { $0.append(state.name) } }
        let group = ServiceGroup(configuration: .init(services: [watcher], logger: Logger(label: "test")))
        let running = Task { try await group.run() }

        func waitFor(_ what: String, _ done: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(600)
            while !done() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(done(), "\(what); the watcher is \(watcher.state)")
        }
        try await waitFor("following version 1") { watcher.state == .following(version: 1) }

        // Another process's publish: followed, built and served.
        let other = try Stores.open(path)
        let grid = "450203001001001"
        let row = try #require(try other.content(version: 1, addresses: false).layers[.grids]?[grid] ?? nil)
        var props = try #require(try JSONParser.parse(row.props).object)
        props["name"] = .string("观察者")
        var changes = ChangeSet()
        changes.features[.grids] = [grid: FeatureRow(props: JSONValue.object(props).serialized, geom: row.geom)]
        _ = try other.publish(changes, parent: 1, author: "other", message: "renamed")
        try await waitFor("following version 2") { watcher.state == .following(version: 2) }
        #expect(service.current.version == "2")

        // The store removed under it: degraded, saying why, still serving from memory.
        try FileManager.default.removeItem(atPath: path)
        try await waitFor("degraded") { watcher.state.name == "degraded" }
        if case .degraded(let reason) = watcher.state { #expect(reason.contains("removed") || reason.contains("store")) }
        #expect(service.current.version == "2")

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(watcher.state == .stopped)
        // Each change told once, in order (a change of version or of reason repeats a name).
        let names = seen.withLock { $0 }.reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
        #expect(names == ["starting", "following", "degraded", "stopping", "stopped"])
    }

    /// Publishes queued for the watcher hold no thread each: more of them at once than the
    /// cooperative pool has threads all finish (a version that parked its caller's thread until
    /// the watcher ran it would stall the pool after the first few).
    @Test func queuedPublishesHoldNoThread() async throws {
        let path = Scratch.path("watcher-queue") + ".gridmap"
        _ = try Stores.create(path, from: StoreFixture.dataset, author: "t", message: "v1")
        let service = try MapService(storeLocation: path)
        let watcher = VersionWatcher(service: service, every: .milliseconds(50))
        let group = ServiceGroup(configuration: .init(services: [watcher], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        // Waits are bounded by what a stalled test would show, not by how busy the machine is.
        func waitFor(_ what: String, _ done: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(600)
            while !done() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(done(), "\(what); the watcher is \(watcher.state), \(service.queuedPublishes) queued")
        }
        try await waitFor("the watcher follows the store") { watcher.state.name == "following" }
        // The watcher held busy by a first publish, released only once the others are all queued.
        let started = Atomic<Bool>(false), release = DispatchSemaphore(value: 0)
        let first = Task {
            try await service.publishing { _ in
                started.store(true, ordering: .releasing)
                _ = release.wait(timeout: .now() + 120)
                return 0
            }
        }
        try await waitFor("the first publish runs") { started.load(ordering: .acquiring) }
        let n = 4 * ProcessInfo.processInfo.activeProcessorCount + 16
        let all = Task {
            try await withThrowingTaskGroup(of: Int.self) { tasks in
                for _ in 0..<n { tasks.addTask { try await service.publishing { s in try s { try $0.head() } } } }
                return try await tasks.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        var most = 0
        try await waitFor("all \(n) publishes queued at once while the watcher was busy") {
            most = max(most, service.queuedPublishes)
            return most >= n
        }
        #expect(most == n, "most seen: \(most)")
        release.signal()
        let heads = try await all.value
        #expect(heads.count == n && heads.allSatisfy { $0 == 1 })
        #expect(try await first.value == 0)
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
