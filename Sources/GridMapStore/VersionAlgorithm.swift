import Foundation
import GridMapGeometry
import GridMapModel

/// What a backend does for the version algorithm: store and fetch rows, take its lock, send its
/// notifications. The algorithm itself (publish on an expected parent, the stale and empty
/// checks, rollback, as-of resolution, verify, appending a copied version) is written once, in
/// the extension below, so both backends refuse the same things with the same codes.
public protocol VersionBackend: VersionedStore {
    /// Runs `body` as one write transaction holding the store's publish lock (SQLite: an
    /// immediate transaction on the file; PostgreSQL: a transaction-scoped advisory lock), with
    /// the store checked intact first: two publishers never read the same head.
    func publishing<T>(_ body: () throws -> T) throws -> T
    /// Every version's id and publication time, oldest first.
    func publicationTimes() throws -> [(id: Int, ms: Int64)]
    /// The newest version's id, nil when the store holds none.
    func newestVersion() throws -> Int?
    /// Version `id`'s row, nil when there is none.
    func versionRow(_ id: Int) throws -> VersionInfo?
    /// Draft `id`'s row, nil when there is none.
    func draftRow(_ id: Int) throws -> DraftInfo?
    /// Stores a draft's edits and its log, in a write transaction of its own, unless it was
    /// saved or closed since `info` was read: then nothing is written and the answer is false.
    func saveDraftRows(_ info: DraftInfo, rows: ChangeSet, log: [JSONValue]) throws -> Bool
    /// What takes version `head` back to version `target` (target < head): each feature and
    /// address touched after `target`, as it was then (nil where it did not exist).
    func changes(since target: Int, upTo head: Int) throws -> ChangeSet
    /// Writes `version`'s row and a row per changed feature and address, and notifies other
    /// processes, inside the caller's `publishing` transaction.
    func insert(_ version: VersionInfo, changes: ChangeSet) throws
    /// Marks an open draft closed (published as `version`, or discarded) and drops its edits,
    /// inside the caller's `publishing` transaction; with `revision`, only if it was not saved
    /// since. False when no draft was closed.
    func markDraftClosed(_ id: Int, status: String, version: Int?, revision: Int?) throws -> Bool
    /// Called once a publish committed: the new version's content (and its dataset, when the
    /// caller had it) may be kept to spare reading them back.
    func didPublish(_ version: Int, content: StoreContent, dataset: Dataset?)
    /// The backend's own integrity check (SQLite's, PostgreSQL's append-only triggers), its
    /// findings added to `verify`'s report; throws on a problem.
    func backendIntegrity() throws -> JSONObject
}

extension VersionBackend {
    /// The current (latest) version; a store holding none is refused (`no_version`).
    public func head() throws -> Int {
        guard let v = try newestVersion() else {
            throw StoreError(location, "holds no version", code: .noVersion)
        }
        return v
    }

    /// Version `id`'s record, refused when there is none (`unknown_version`, not found).
    public func version(_ id: Int) throws -> VersionInfo {
        guard let found = try versionRow(id) else {
            throw StoreError(location, "no version \(id)", code: .unknownVersion)
        }
        return found
    }

    /// Draft `id`, refused when there is none (`unknown_draft`).
    public func draftInfo(_ id: Int) throws -> DraftInfo {
        guard let found = try draftRow(id) else { throw PlanError(.unknownDraft, "no draft \(id)") }
        return found
    }

    /// Stores a draft's edits and its log, refused (`draft_changed`, nothing written) when
    /// somebody saved or closed it since `info` was read.
    public func saveDraft(_ info: DraftInfo, rows: ChangeSet, log: [JSONValue]) throws {
        guard try saveDraftRows(info, rows: rows, log: log) else {
            throw PlanError(.draftChanged, "draft \(info.id) was changed or closed meanwhile: run the operation again")
        }
    }

    /// Marks a draft discarded and drops its edits; refused (`draft_changed`) when it is not open.
    public func discardDraft(_ id: Int) throws {
        _ = try draftInfo(id)
        try publishing { try closeDraft(id, status: "discarded", version: nil, revision: nil) }
    }

    /// `markDraftClosed`, refused (`draft_changed`) when no open draft of that revision was there.
    func closeDraft(_ id: Int, status: String, version: Int?, revision: Int?) throws {
        guard try markDraftClosed(id, status: status, version: version, revision: revision) else {
            throw PlanError(.draftChanged, "draft \(id) was changed or closed meanwhile: look at it again")
        }
    }

    /// Publishes `changes` as the next version (see `VersionedStore.publish`): refused, with
    /// nothing written, when `parent` is not current (`stale_version`) or when nothing would
    /// change (`nothing_to_publish`).
    @discardableResult
    public func publish(_ changes: ChangeSet, parent: Int, author: String, message: String,
                        closing draft: (id: Int, revision: Int)?, dataset: Dataset?) throws -> VersionInfo {
        let (info, next): (VersionInfo, StoreContent) = try publishing {
            let head = try self.head()
            guard head == parent else { throw StaleVersionError(expected: parent, current: head) }
            // Addresses are read only when the publish changes some (at 100× reading them
            // costs seconds); otherwise their count carries over from the parent.
            let base = try content(version: head, addresses: !changes.addresses.isEmpty)
            let effective = changes.filtered(against: base)
            guard !effective.isEmpty else {
                throw StoreError(location, "nothing to publish: the content equals version \(head)",
                                 code: .nothingToPublish)
            }
            let next = base.applying(effective)
            let parentAddresses = try version(head).summary["counts"]?["addresses"]?.int ?? 0
            let info = VersionInfo(id: head + 1, parent: head, author: author, message: message,
                                   changes: effective, base: base, content: next,
                                   addressCount: next.addresses?.count ?? parentAddresses)
            try insert(info, changes: effective)
            if let draft { try closeDraft(draft.id, status: "published", version: info.id, revision: draft.revision) }
            return (info, next)
        }
        // Only once committed: a cache then describes a version that exists.
        didPublish(info.id, content: next, dataset: dataset)
        return info
    }

    /// Publishes version `target`'s content as a new version (history is never rewritten):
    /// refused when `target` is no version (`unknown_version`) or already the current one
    /// (`already_current`).
    @discardableResult
    public func rollback(to target: Int, author: String, message: String?) throws -> VersionInfo {
        let head = try self.head()
        guard target >= 1, target <= head else {
            throw StoreError(location, "no version \(target); versions are 1 to \(head)", code: .unknownVersion)
        }
        guard target != head else {
            throw StoreError(location, "version \(target) is already the current version", code: .alreadyCurrent)
        }
        return try publish(try changes(since: target, upTo: head), parent: head, author: author,
                           message: message ?? "roll back to version \(target)", closing: nil, dataset: nil)
    }

    /// The version `text` names, or the one live at the moment it names (`AsOf.resolve`).
    public func resolve(asOf text: String) throws -> Int {
        try AsOf.resolve(text, among: publicationTimes(), file: location)
    }

    /// The backend's integrity check, then the chain, and each version from `first` on read back
    /// against what it recorded.
    public func verify(from first: Int) throws -> JSONValue {
        let own = try backendIntegrity()
        var report = try verifyVersions(from: first).object ?? JSONObject()
        for (key, value) in own { report[key] = value }
        return .object(report)
    }

    /// Appends a version copied from another store, as its original recorded it, refused
    /// (`stale_version`) unless it continues this store's chain.
    package func append(copy info: VersionInfo, changes: ChangeSet) throws {
        try publishing {
            let head = try head()
            guard head == info.parent else { throw StaleVersionError(expected: info.parent ?? 0, current: head) }
            try insert(info, changes: changes)
        }
    }
}

extension VersionInfo {
    /// A new version's record: its time now, its summary and changed grids from `changes`.
    package init(id: Int, parent: Int?, author: String, message: String, changes: ChangeSet, base: StoreContent,
         content: StoreContent, addressCount: Int) {
        self.init(id: id, parent: parent, publishedMs: Clock.nowMs, author: author, message: message,
                  changedGrids: changes.changedGrids,
                  summary: VersionInfo.summary(changes, base: base, content: content, addressCount: addressCount))
    }
}

extension VersionInfo {
    /// A new store's version 1 holding `content` (or, for a copy of another store's history,
    /// its version 1 as `recorded`), and its rows: every feature and address added.
    package static func first(_ content: StoreContent, author: String, message: String, recorded: VersionInfo?)
        -> (VersionInfo, ChangeSet)
    {
        let empty = StoreContent(layers: [:], addresses: [:], districtID: "", districtName: "")
        let changes = empty.changes(to: content)
        return (recorded ?? VersionInfo(id: 1, parent: nil, author: author, message: message, changes: changes,
                                        base: empty, content: content, addressCount: content.addresses?.count ?? 0),
                changes)
    }
}
