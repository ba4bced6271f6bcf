import Synchronization
import GridMapModel

/// Whether the store can be written, as the last check or write found it. A change is handed
/// to the listener (the server logs it), once per change, not once per poll.
public final class StoreHealth: Sendable {
    private let state = Mutex<(problem: StoreError?, listener: (@Sendable (StoreError?) -> Void)?)>((nil, nil))

    public init() {}

    /// A problem with the file itself, not a passing one (a lock held, descriptors short).
    package static func isLasting(_ e: StoreError) -> Bool {
        [.storeUnusable, .storeCorrupt, .storeReadOnly].contains(e.typed)
    }

    /// The problem now, or nil when the store is usable.
    public var problem: StoreError? { state.withLock { $0.problem } }

    /// Called on every change, with the new problem or nil when it is gone.
    public func onChange(_ listener: @escaping @Sendable (StoreError?) -> Void) {
        state.withLock { $0.listener = listener }
    }

    package func report(_ problem: StoreError?) {
        let changed: (@Sendable (StoreError?) -> Void)?? = state.withLock { s in
            guard s.problem?.message != problem?.message else { return nil }
            s.problem = problem
            return .some(s.listener)
        }
        if case .some(let listener) = changed { listener?(problem) }
    }
}
