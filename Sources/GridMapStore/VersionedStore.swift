import Foundation
import GridMapGeometry
import GridMapModel

/// The versioned map store, as the engine uses it: versions (each published on an expected
/// parent, never rewritten), their content and the changes between them, drafts, and as-of.
/// Each backend (its own target) implements it through `VersionBackend`, which holds the
/// version algorithm once; planning, lookups and the skins see only this protocol. A server
/// watches for new versions by polling `head()` (`VersionWatcher`), woken early by a backend's
/// hints (`versionHints`).
///
/// A backend is used from one thread at a time (a server's users go through `SerialStore`); a
/// call that writes is one transaction.
public protocol VersionedStore: AnyObject {
    /// Where the store is (a file path, a database URL without its password), for messages.
    var location: String { get }

    // Versions.
    /// The newest version's id.
    func head() throws -> Int
    /// Every version, oldest first.
    func versions() throws -> [VersionInfo]
    func version(_ id: Int) throws -> VersionInfo
    /// The version `text` names, or the one live at the moment it names (`AsOf.resolve`).
    func resolve(asOf text: String) throws -> Int
    /// What changed from one version to another, feature by feature.
    func diff(from a: Int, to b: Int) throws -> JSONValue

    // Content.
    func content(version: Int, addresses: Bool) throws -> StoreContent
    func dataset(version: Int, addresses: Bool) throws -> Dataset
    func gridShapes(version: Int) throws -> [(id: String, shape: Shape)]
    /// The version's addresses, read when first needed (or `reuse`'s when they are the same).
    func addressSource(version: Int, reuse: AddressSource?) throws -> AddressSource
    /// Version `v`'s live addresses inside `box`: a spatial query on the store, so that
    /// planning reads the addresses near the grids it changes, not all of them.
    func addresses(version v: Int, in box: BoundingBox) throws -> [Address]
    /// Ids of `layers` changed by the versions after `base`.
    func changedIDs(since base: Int, layers: [Layer]) throws -> Set<String>
    /// Every grid code the store has held, with the last version that changed it.
    func gridCodeHistory() throws -> [String: Int]

    // Writes.
    /// Publishes `changes` as the next version, if `parent` is still the newest (else
    /// `StaleVersionError`, nothing written), closing `draft` in the same transaction when
    /// given (unless it was saved since its `revision`). `dataset`, the new version's content
    /// when the caller has it, spares reading it back. Planning's rules (what to re-derive,
    /// which codes may not come back) are the caller's: the store records what it is given.
    @discardableResult
    func publish(_ changes: ChangeSet, parent: Int, author: String, message: String,
                 closing draft: (id: Int, revision: Int)?, dataset: Dataset?) throws -> VersionInfo
    /// Publishes version `target`'s content as a new version (history is never rewritten).
    @discardableResult
    func rollback(to target: Int, author: String, message: String?) throws -> VersionInfo

    // Drafts: unpublished edits on top of a version, updated in place.
    func createDraft(name: String, author: String, base: Int) throws -> DraftInfo
    func draftInfo(_ id: Int) throws -> DraftInfo
    /// The open drafts, or every draft with `all`.
    func draftInfos(all: Bool) throws -> [DraftInfo]
    func draftRows(_ id: Int) throws -> ChangeSet
    /// Stores a draft's edits and its whole log (an operation appends an entry, an undo drops
    /// the last), if nobody saved it since `info` was read (else `PlanError(.draftChanged)`).
    func saveDraft(_ info: DraftInfo, rows: ChangeSet, log: [JSONValue]) throws
    func discardDraft(_ id: Int) throws
    /// Grid codes held by open drafts.
    func gridCodesInDrafts() throws -> Set<String>

    /// Checks the history (the backend's own integrity check, the whole version chain, and the
    /// recorded counts of each version from `first` on); throws on the first problem.
    func verify(from first: Int) throws -> JSONValue

    /// Throws when the store can no longer be used (its file removed, replaced or overwritten;
    /// its database gone): `StoreError` with code `store_unusable`.
    func checkIntact() throws

    /// Hints of new versions on a connection of their own, nil when this backend sends none
    /// (the watcher then polls).
    func versionHints() throws -> (any VersionHints)?
    /// Whether this backend sends hints of new versions (the watcher then polls only as a
    /// safety net).
    var sendsVersionHints: Bool { get }

    /// `body` of the blob of `kind` kept for `version` (a one-off lookup's prepared index), or
    /// nil when there is none or the backend keeps none.
    func withPreparedBlob<T>(version: Int, kind: String, _ body: (UnsafeRawBufferPointer) -> T?) throws -> T?
    /// Keeps `blob` as `version`'s of `kind` (a backend that keeps none ignores it).
    func savePrepared(version: Int, kind: String, blob: [UInt8]) throws
    /// Whether this backend keeps prepared blobs (store files do; a database serves
    /// long-running servers, which build their versions).
    var keepsPreparedBlobs: Bool { get }

    /// Why this process may not write the store (a database role without INSERT on the
    /// history, a file opened read-only), or nil when it may. Asked once at start: INFO's
    /// `store_writable` is 0 for such a server from the start, not after its first refused write.
    func writeRefusal() throws -> String?
}

/// What a backend without hints or prepared blobs answers.
extension VersionedStore {
    public func versionHints() throws -> (any VersionHints)? { nil }
    public var sendsVersionHints: Bool { false }
    public func withPreparedBlob<T>(version: Int, kind: String, _ body: (UnsafeRawBufferPointer) -> T?) throws
        -> T? { nil }
    public func savePrepared(version: Int, kind: String, blob: [UInt8]) throws {}
    public var keepsPreparedBlobs: Bool { false }
}

/// The defaults callers use most, for any backend.
extension VersionedStore {
    public func dataset(version: Int) throws -> Dataset { try dataset(version: version, addresses: true) }
    public func content(version: Int) throws -> StoreContent { try content(version: version, addresses: true) }
    public func addressSource(version: Int) throws -> AddressSource { try addressSource(version: version, reuse: nil) }
    /// The whole history checked, every version read back.
    public func verify() throws -> JSONValue { try verify(from: 1) }

    @discardableResult
    public func publish(_ changes: ChangeSet, parent: Int, author: String, message: String) throws -> VersionInfo {
        try publish(changes, parent: parent, author: author, message: message, closing: nil, dataset: nil)
    }

    /// Stores a draft's edits and appends `entry` to its log.
    public func saveDraft(_ info: DraftInfo, rows: ChangeSet, entry: JSONValue) throws {
        try saveDraft(info, rows: rows, log: info.log + [entry])
    }

    @discardableResult
    public func rollback(to target: Int, author: String) throws -> VersionInfo {
        try rollback(to: target, author: author, message: nil)
    }
}
