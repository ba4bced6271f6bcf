import CGridMapSupport
import Foundation
import ServiceLifecycle
import Synchronization

/// Fills the measures' copy of the case log (`CaseDesk.histories`) as the server starts, on a
/// thread of its own at the builder's low priority, and keeps it in step every few seconds: the
/// first measures request then reads only what was appended since, not the whole log (tens of
/// seconds at the 100× district). It reads on the desk's reading connection, never under the
/// lock reports and actions take. `serve --no-measures-warmup` leaves it to the first request.
public final class MeasuresWarmup: Service, Sendable {
    public enum State: Sendable, Equatable {
        case idle, filling, following(cases: Int), degraded(reason: String), stopped
    }
    public enum Event: Sendable { case start, read(cases: Int), failed(String), stop }

    public static let defaultInterval = 5.0

    private let desk: CaseDesk
    private let interval: Double
    private let state = Mutex<State>(.idle)
    private let stopping = Atomic<Bool>(false)
    private let bell = DispatchSemaphore(value: 0)

    public init(desk: CaseDesk, interval: Double = MeasuresWarmup.defaultInterval) {
        (self.desk, self.interval) = (desk, interval)
    }

    public var current: State { state.withLock { $0 } }

    /// The table of transitions: the only place `state` changes.
    @discardableResult
    func handle(_ event: Event) -> State {
        state.withLock { s in
            switch (s, event) {
            case (.idle, .start): s = .filling
            case (.filling, .read(let n)), (.following, .read(let n)), (.degraded, .read(let n)):
                s = .following(cases: n)
            case (.filling, .failed(let why)), (.following, .failed(let why)), (.degraded, .failed(let why)):
                s = .degraded(reason: why)
            case (_, .stop): s = .stopped
            default: break
            }
            return s
        }
    }

    /// Reads on until a graceful shutdown; the thread ends after the read it is in (a stop
    /// does not wait for a fill of the whole log).
    public func run() async throws {
        handle(.start)
        let thread = Thread { [self] in
            _ = gridmap_lower_thread_priority(MapService.builderNice)
            while !stopping.load(ordering: .relaxed) {
                do {
                    _ = try desk.reading { try desk.histories.refresh($0) }
                    if stopping.load(ordering: .relaxed) { break }
                    handle(.read(cases: desk.histories.count))
                } catch {
                    handle(.failed("\(error)"))
                }
                _ = bell.wait(timeout: .now() + interval)
            }
        }
        thread.name = "gridmap-measures-warmup"
        thread.start()
        // Returns on a graceful shutdown or the task's cancellation alike.
        try? await gracefulShutdown()
        stopping.store(true, ordering: .relaxed)
        bell.signal()
        handle(.stop)
    }
}
