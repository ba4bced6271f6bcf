import Foundation

/// The versioned map store, as the engine uses it: versions (each published on an expected
/// parent, never rewritten), their content and the changes between them, drafts, and as-of.
/// `MapStore` (SQLite) implements it; a second backend (PostgreSQL) implements it without
/// touching Planning, Lookup or the skins, which see only this protocol. The watch for new
/// versions is `head()` polled (`MapService.startWatching`).
///
/// An implementation serialises its own calls or is used from one thread at a time; a call
/// that writes is one transaction.
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
    /// the last), if nobody saved it since `info` was read (else `PlanError("draft_changed")`).
    func saveDraft(_ info: DraftInfo, rows: ChangeSet, log: [JSONValue]) throws
    func discardDraft(_ id: Int) throws
    /// Grid codes held by open drafts.
    func gridCodesInDrafts() throws -> Set<String>

    /// Checks the whole history (the backend's own integrity check, the version chain, each
    /// version's recorded counts); throws on the first problem.
    func verify() throws -> JSONValue

    /// Throws when the store can no longer be used (its file removed, replaced or overwritten;
    /// its database gone): `StoreError` with code `store_unusable`.
    func checkIntact() throws

    /// Why this process may not write the store (a database role without INSERT on the
    /// history, a file opened read-only), or nil when it may. Asked once at start: INFO's
    /// `store_writable` is 0 for such a server from the start, not after its first refused write.
    func writeRefusal() throws -> String?
}

extension MapStore: VersionBackend {
    public var location: String { path }
    public func writeRefusal() throws -> String? { readOnly ? "the store file was opened read-only" : nil }

    public func insert(_ version: VersionInfo, changes: ChangeSet) throws {
        try MapStore.insertVersion(db, version, changes: changes)
    }

    public func didPublish(_ version: Int, content: StoreContent, dataset: Dataset?) {
        remember(version, content: content, dataset: dataset)
    }
}

/// The store a location names: a PostgreSQL database (`postgresql://…`, `postgres://…` or
/// libpq's `key=value` form, several hosts allowed) or a SQLite store file.
public enum Stores {
    public static func open(_ location: String, readOnly: Bool = false) throws -> any VersionedStore {
        PostgresStore.isDatabase(location)
            ? try PostgresStore(location) : try MapStore(path: location, readOnly: readOnly)
    }

    /// Whether a store is there to open (a file that exists, a database holding the schema).
    public static func exists(_ location: String) throws -> Bool {
        guard PostgresStore.isDatabase(location) else { return FileManager.default.fileExists(atPath: location) }
        do { _ = try PostgresStore(location); return true } catch let e as StoreError where e.code == "no_store" {
            return false
        }
    }

    /// Creates a store holding `dataset` as version 1 (refused when one is there).
    @discardableResult
    public static func create(_ location: String, from dataset: Dataset, author: String, message: String)
        throws -> any VersionedStore
    {
        PostgresStore.isDatabase(location)
            ? try PostgresStore.create(location, from: dataset, author: author, message: message)
            : try MapStore.create(path: location, from: dataset, author: author, message: message)
    }
}

/// The defaults callers use most, for any backend.
extension VersionedStore {
    public func dataset(version: Int) throws -> Dataset { try dataset(version: version, addresses: true) }
    public func content(version: Int) throws -> StoreContent { try content(version: version, addresses: true) }
    public func addressSource(version: Int) throws -> AddressSource { try addressSource(version: version, reuse: nil) }

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
