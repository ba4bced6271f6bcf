import Foundation
import GridMapModel
import Synchronization

/// A backend used by one thread at a time, each use through this one lock: what a server hands
/// planning, its requests and its watcher. Each use holds the lock for its own calls only, so
/// planning reads what it needs, computes with no lock held (GEOS work takes seconds at 100×)
/// and takes it again to save, under the store's revision and parent checks.
///
/// `@unchecked Sendable` because of this invariant: the backend is reached only inside
/// `callAsFunction`, under the lock, and never escapes it. The lock is not reentrant: a body
/// must not use this store again.
public final class SerialStore: @unchecked Sendable {
    private let lock = NSLock()
    private let store: any VersionedStore
    private let failed: @Sendable (StoreError) -> Void
    /// The backend's location as it shows it (no password).
    public let location: String
    /// Whether the backend sends hints of new versions (`VersionedStore.versionHints`).
    public let sendsVersionHints: Bool

    /// Serves `store`, which nothing else may use from now on; `failed` is told of every store
    /// error a use meets (a server records the lasting ones as its store's health).
    public init(_ store: any VersionedStore, failed: @escaping @Sendable (StoreError) -> Void = { _ in }) {
        self.store = store
        self.failed = failed
        location = store.location
        sendsVersionHints = store.sendsVersionHints
    }

    /// Called on the using thread after each use has let the lock go: a test's way to act at
    /// that moment (between an operation's reads and its save) on any machine, however busy.
    package let released = Mutex<(@Sendable () -> Void)?>(nil)

    /// `body` with the backend, under the lock.
    public func callAsFunction<T>(_ body: (any VersionedStore) throws -> T) throws -> T {
        lock.lock()
        defer {
            lock.unlock()
            if let hook = released.withLock({ $0 }) { hook() }
        }
        do { return try body(store) } catch let e as StoreError {
            failed(e)
            throw e
        }
    }
}
