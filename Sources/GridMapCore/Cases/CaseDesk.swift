import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStores

/// The service's case log: opened on first use beside the map store, on a connection of its
/// own, used by one caller at a time. A server without a store keeps no cases.
public final class CaseDesk: @unchecked Sendable {
    private let location: String?
    private let lock = NSLock()
    private var log: CaseLog?

    public init(location: String?) { self.location = location }

    /// Runs `body` with the log, opening it when first needed.
    public func with<T>(_ body: (CaseLog) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if log == nil {
            guard let location else {
                throw CaseError(.caseLogUnavailable, "this server answers from files, not a store: it keeps no cases "
                                + "(serve a store: gridmap store import, then --store)")
            }
            log = try Stores.openCaseLog(location)
        }
        do { return try body(log!) } catch let e as CaseError where e.typed == .caseLogUnavailable {
            // A failed connection is opened afresh next time.
            log = nil
            throw e
        }
    }
}
