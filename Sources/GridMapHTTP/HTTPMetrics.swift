import Dispatch
import Foundation
import GridMapCore
import GridMapNetwork
import Hummingbird
import Metrics
import Prometheus
import Synchronization
import GridMapPlanning

/// The process's metrics: swift-metrics, bootstrapped once onto a Prometheus registry that
/// `/metrics` writes out. HTTP requests are recorded as they happen; what RESP, the map
/// service and the process keep themselves (INFO's counts, publishes, memory) is copied in at
/// each scrape.
final class HTTPMetrics: Sendable {
    static let shared = HTTPMetrics()

    let registry = PrometheusCollectorRegistry()
    /// HTTP connections open now (`ConnectionGuard` counts them).
    let openConnections = Atomic<Int>(0)
    private let scrape = Mutex<Void>(())

    private init() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        // Made after the bootstrap, so that they are Prometheus's and not the no-op default.
        var handles: [String: (calls: Metrics.Counter, errors: Metrics.Counter, time: Metrics.Timer)] = [:]
        for command in MeasuringMiddleware<GridMapRequestContext>.commands {
            let labels = [("protocol", "http"), ("command", command)]
            handles[command] = (Metrics.Counter(label: "gridmap_requests_total", dimensions: labels),
                                Metrics.Counter(label: "gridmap_request_errors_total", dimensions: labels),
                                Metrics.Timer(label: "gridmap_request_duration_seconds", dimensions: labels))
        }
        self.handles = handles
    }

    /// Each endpoint's request counter, error counter and timer, made once: making them per
    /// request would take swift-metrics' and the registry's locks on every request.
    private let handles: [String: (calls: Metrics.Counter, errors: Metrics.Counter, time: Metrics.Timer)]

    /// One HTTP request: its endpoint, status and duration.
    func record(command: String, failed: Bool, nanos: UInt64) {
        guard let h = handles[command] else { return }
        h.calls.increment()
        if failed { h.errors.increment() }
        h.time.recordNanoseconds(Int64(nanos))
    }

    /// The Prometheus text of everything.
    func text(map: MapService?, resp: (any ProtocolStats)?, cases: (open: Int, overdue: Int)? = nil) -> [UInt8] {
        scrape.withLock { _ in
            if let resp {
                for c in resp.commandTotals() {
                    let labels = [("protocol", resp.protocolName), ("command", c.name)]
                    let calls = registry.makeCounter(descriptor: Self.name("gridmap_requests", "total"), labels: labels)
                    calls.reset()
                    calls.increment(by: Int64(c.calls))
                    let errors = registry.makeCounter(
                        descriptor: Self.name("gridmap_request_errors", "total"), labels: labels)
                    errors.reset()
                    errors.increment(by: Int64(c.errors))
                }
                registry.makeGauge(descriptor: Self.name("gridmap_open_connections"),
                                   labels: [("protocol", resp.protocolName)])
                    .set(to: Double(resp.openConnections))
            }
            registry.makeGauge(descriptor: Self.name("gridmap_open_connections"),
                               labels: [("protocol", "http")])
                .set(to: Double(openConnections.load(ordering: .relaxed)))
            if let map {
                registry.makeGauge(descriptor: Self.name("gridmap_data_version"))
                    .set(to: Double(map.current.version) ?? 0)
                let publishes = registry.makeCounter(descriptor: Self.name("gridmap_publishes", "total"))
                publishes.reset()
                publishes.increment(by: Int64(map.publishes.load(ordering: .relaxed)))
                registry.makeGauge(descriptor: Self.name("gridmap_last_version_build", "seconds"))
                    .set(to: Double(map.lastBuildNanos.load(ordering: .relaxed)) / 1e9)
                // Following the store: alert on versions_behind > 0 for longer than a few seconds.
                let lag = map.follow.lag(serving: Int(map.current.version) ?? 0)
                registry.makeGauge(descriptor: Self.name("gridmap_newest_version_seen")).set(to: Double(lag.newest))
                registry.makeGauge(descriptor: Self.name("gridmap_versions_behind")).set(to: Double(lag.versions))
                registry.makeGauge(descriptor: Self.name("gridmap_behind", "seconds")).set(to: lag.seconds)
                // 1 while the watcher serves from memory because it cannot follow the store.
                let degraded = map.watcherState.name == "degraded"
                registry.makeGauge(descriptor: Self.name("gridmap_watcher_degraded")).set(to: degraded ? 1 : 0)
                // The cases the measures hold in memory (none until the first measures request).
                registry.makeGauge(descriptor: Self.name("gridmap_case_histories_held"))
                    .set(to: Double(map.cases.histories.count))
            }
            if let cases {
                registry.makeGauge(descriptor: Self.name("gridmap_cases_open")).set(to: Double(cases.open))
                registry.makeGauge(descriptor: Self.name("gridmap_cases_overdue")).set(to: Double(cases.overdue))
            }
            registry.makeGauge(descriptor: Self.name("gridmap_resident_memory", "bytes"))
                .set(to: Double(residentBytes()))
            var out: [UInt8] = []
            registry.emit(into: &out)
            if let resp { out.append(contentsOf: resp.prometheusLatency().utf8) }
            return out
        }
    }

    /// A metric's name (no help text: the same names are made through swift-metrics too).
    private static func name(_ metric: String, _ unit: String = "") -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: metric, unitName: unit, helpText: "")
    }

    private func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Counts and times every request by endpoint (the route's name).
struct MeasuringMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = DispatchTime.now().uptimeNanoseconds
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

    /// Every value `command` gives.
    static var commands: [String] {
        APIRoutes.names.sorted() + ["healthz", "readyz", "metrics", "open311", "page", "unknown"]
    }

    /// `/api/locate` → `locate`, `/api/grid/4502…` → `grid`, the page's files → `page`: a
    /// bounded set of label values, whatever paths clients ask for.
    static func command(_ path: String) -> String {
        let parts = path.split(separator: "/")
        if parts.first == "api", parts.count >= 2, APIRoutes.names.contains(String(parts[1])) {
            return String(parts[1])
        }
        if ["/healthz", "/readyz", "/metrics"].contains(path) { return String(path.dropFirst()) }
        if parts.first == "open311" { return "open311" }
        return parts.first == "api" ? "unknown" : "page"
    }
}
