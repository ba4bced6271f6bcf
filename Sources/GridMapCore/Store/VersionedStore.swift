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
    /// Stores a draft's edits and appends `entry` to its log, if nobody saved it since `info`
    /// was read (else `PlanError("draft_changed")`).
    func saveDraft(_ info: DraftInfo, rows: ChangeSet, entry: JSONValue) throws
    func discardDraft(_ id: Int) throws
    /// Grid codes held by open drafts.
    func gridCodesInDrafts() throws -> Set<String>

    /// Throws when the store can no longer be used (its file removed, replaced or overwritten;
    /// its database gone): `StoreError` with code `store_unusable`.
    func checkIntact() throws
}

extension MapStore: VersionedStore {
    public var location: String { path }
}
