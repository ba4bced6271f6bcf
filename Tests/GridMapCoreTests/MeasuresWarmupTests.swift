import Foundation
import GridMapTestSupport
import Logging
import ServiceLifecycle
import Testing

@testable import GridMapCases
@testable import GridMapCore
@testable import GridMapStores

/// The measures' copy of the case log filled as a server starts, with no statistics request,
/// and kept in step with reports made after; its state machine's table.
@Suite struct MeasuresWarmupTests {
    @Test func theTableIsTheOnlyWayStateChanges() {
        let w = MeasuresWarmup(desk: CaseDesk(location: nil))
        #expect(w.handle(.read(cases: 3)) == .idle, "nothing read before it starts")
        #expect(w.handle(.start) == .filling)
        #expect(w.handle(.failed("gone")) == .degraded(reason: "gone"))
        #expect(w.handle(.read(cases: 4)) == .following(cases: 4))
        #expect(w.handle(.start) == .following(cases: 4))
        #expect(w.handle(.stop) == .stopped)
        #expect(w.handle(.read(cases: 5)) == .stopped)
    }

    @Test(arguments: StoreBackend.available)
    func filledAtStartAndKeptInStep(_ backend: StoreBackend) async throws {
        let location = try backend.newLocation("warmup")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let writer = MapView(try MapService(storeLocation: location))
        func report(_ n: Int) throws {
            for k in 0..<n {
                let r = try CaseReportRequest(place: .point(PointQuery(lon: 109.4200897 + Double(k) * 1e-5,
                                                                       lat: 24.3072275)),
                                              category: "0102", description: "堆放 \(k)")
                _ = try r.answer(writer, actor: CaseActor(account: "t", role: .dispatcher))
            }
        }
        try report(12)

        // A server starting on that store: its copy is empty until the warm-up reads the log.
        let service = try MapService(storeLocation: location)
        #expect(service.cases.histories.count == 0)
        let warmup = MeasuresWarmup(desk: service.cases, interval: 0.2)
        let group = ServiceGroup(configuration: .init(services: [warmup], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        // Bounded by what a stalled test would show, not by how busy the machine is.
        func waitFor(_ n: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(120)
            while service.cases.histories.count != n && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(service.cases.histories.count == n, "the warm-up is \(warmup.current)")
        }
        try await waitFor(12)
        #expect(warmup.current == .following(cases: 12))
        try report(3)
        try await waitFor(15)

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(warmup.current == .stopped)
    }
}
