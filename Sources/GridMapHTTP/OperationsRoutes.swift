import GridMapCore
import GridMapNetwork
import Hummingbird
import GridMapPlanning

/// What an orchestrator asks: is the process up (`/healthz`), is a version loaded and served
/// (`/readyz`: 503 while loading or while the store cannot be written), and the numbers (`/metrics`, Prometheus text).
struct OperationsRoutes {
    let map: ServedMap
    let metrics: HTTPMetrics
    let resp: (any ProtocolStats)?

    func add(to router: Router<GridMapRequestContext>) {
        router.get("/healthz") { _, _ in Reply.json(["status": "ok"]) }
        router.get("/readyz") { _, _ -> Response in
            guard let service = map.current else {
                return Reply.json(["status": "loading"], status: .serviceUnavailable)
            }
            // Lookups go on from memory, but a balancer should send writers elsewhere, and an
            // operator must know: the store can no longer be written.
            if let problem = service.storeHealth.problem {
                return Reply.json(["status": "store_unusable", "code": .string(problem.code),
                                   "reason": .string(problem.message),
                                   "data_version": .string(service.current.version)], status: .serviceUnavailable)
            }
            return Reply.json(["status": "ready", "data_version": .string(service.current.version)])
        }
        router.get("/metrics") { _, _ in
            let service = map.current
            // The case gauges are a query: off the event loop; left out while the log cannot be read.
            let now = Clock.nowMs
            var cases: (open: Int, overdue: Int)? = nil
            if let service {
                cases = try? await offLoop { try service.cases.with { try $0.openCounts(nowMs: now) } }
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.text(map: service, resp: resp,
                                                                                   cases: cases))))
        }
    }
}
