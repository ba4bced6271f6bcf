import Dispatch
import Foundation
import GridMapCore
import GridMapServer
import Hummingbird
import Metrics
import Prometheus
import Synchronization

/// The process's metrics: swift-metrics, bootstrapped once onto a Prometheus registry that
/// `/metrics` writes out. HTTP requests are recorded as they happen; what RESP, the map
/// service and the process keep themselves (INFO's counts, publishes, memory) is copied in at
/// each scrape.
final class HTTPMetrics: Sendable {
    static let shared = HTTPMetrics()

    let registry = PrometheusCollectorRegistry()
    let openConnections = Atomic<Int>(0)
    private let scrape = Mutex<Void>(())

    private init() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// One HTTP request: its endpoint, status and duration.
    func record(command: String, failed: Bool, nanos: UInt64) {
        let labels = [("protocol", "http"), ("command", command)]
        Counter(label: "gridmap_requests_total", dimensions: labels).increment()
        if failed { Counter(label: "gridmap_request_errors_total", dimensions: labels).increment() }
        Timer(label: "gridmap_request_duration_seconds", dimensions: labels).recordNanoseconds(Int64(nanos))
    }

    /// The Prometheus text of everything.
    func text(map: MapService?, resp: ServerStats?) -> [UInt8] {
        scrape.withLock { _ in
            if let resp {
                for c in resp.commandTotals() {
                    let labels = [("protocol", "resp"), ("command", c.name)]
                    let calls = registry.makeCounter(name: "gridmap_requests_total", labels: labels)
                    calls.reset()
                    calls.increment(by: Int64(c.calls))
                    let errors = registry.makeCounter(name: "gridmap_request_errors_total", labels: labels)
                    errors.reset()
                    errors.increment(by: Int64(c.errors))
                }
                registry.makeGauge(name: "gridmap_open_connections", labels: [("protocol", "resp")])
                    .set(to: Double(resp.openConnections))
            }
            registry.makeGauge(name: "gridmap_open_connections", labels: [("protocol", "http")])
                .set(to: Double(openConnections.load(ordering: .relaxed)))
            if let map {
                registry.makeGauge(name: "gridmap_data_version").set(to: Double(map.current.version) ?? 0)
                let publishes = registry.makeCounter(name: "gridmap_publishes_total")
                publishes.reset()
                publishes.increment(by: Int64(map.publishes.load(ordering: .relaxed)))
                registry.makeGauge(name: "gridmap_last_version_build_seconds")
                    .set(to: Double(map.lastBuildNanos.load(ordering: .relaxed)) / 1e9)
            }
            registry.makeGauge(name: "gridmap_resident_memory_bytes").set(to: Double(residentBytes()))
            var out: [UInt8] = []
            registry.emit(into: &out)
            if let resp { out.append(contentsOf: resp.prometheusLatency().utf8) }
            return out
        }
    }

    private func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Counts and times every request by endpoint (the route's name), and the open connections.
struct MeasuringMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = DispatchTime.now().uptimeNanoseconds
        metrics.openConnections.add(1, ordering: .relaxed)
        defer { metrics.openConnections.subtract(1, ordering: .relaxed) }
        let command = Self.command(request.uri.path)
        do {
            let response = try await next(request, context)
            metrics.record(command: command, failed: response.status.code >= 400,
                           nanos: DispatchTime.now().uptimeNanoseconds - start)
            return response
        } catch {
            metrics.record(command: command, failed: true, nanos: DispatchTime.now().uptimeNanoseconds - start)
            throw error
        }
    }

    /// `/api/locate` → `locate`, `/api/grid/4502…` → `grid`, the page's files → `page`: a
    /// bounded set of label values, whatever paths clients ask for.
    static func command(_ path: String) -> String {
        let parts = path.split(separator: "/")
        if parts.first == "api", parts.count >= 2, APIRoutes.names.contains(String(parts[1])) {
            return String(parts[1])
        }
        if ["/healthz", "/readyz", "/metrics"].contains(path) { return String(path.dropFirst()) }
        return parts.first == "api" ? "unknown" : "page"
    }
}
