import Synchronization
import GridMapGeometry
import GridMapModel

/// A version's addresses, read when first needed and then kept: at 100× (2.9 million) they
/// are most of what a start-up would read, and LOCATE never needs them. Versions with the
/// same `revision` share one source, so a publish that changes no address reads none.
public final class AddressSource: Sendable {
    /// The last version that changed an address.
    public let revision: Int
    /// How many there are (from the version's summary: known before they are read).
    public let count: Int
    private let load: @Sendable () throws -> [Address]
    private let loaded = Mutex<[Address]?>(nil)

    public init(revision: Int, count: Int, load: @escaping @Sendable () throws -> [Address]) {
        self.revision = revision
        self.count = count
        self.load = load
    }

    /// The addresses in id order, without their grids (each version derives those). The
    /// first caller reads them; callers meanwhile wait for that read.
    public func addresses() throws -> [Address] {
        try loaded.withLock { cached in
            if let cached { return cached }
            let read = try load()
            cached = read
            return read
        }
    }
}
