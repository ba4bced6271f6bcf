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
    /// What takes version `head` back to version `target` (target < head): each feature and
    /// address touched after `target`, as it was then (nil where it did not exist).
    func changes(since target: Int, upTo head: Int) throws -> ChangeSet
    /// Writes `version`'s row and a row per changed feature and address, and notifies other
    /// processes, inside the caller's `publishing` transaction.
    func insert(_ version: VersionInfo, changes: ChangeSet) throws
    /// Marks a draft closed (published or discarded) unless it was saved since `revision`.
    func closeDraft(_ id: Int, status: String, version: Int?, revision: Int?) throws
    /// Called once a publish committed: the new version's content (and its dataset, when the
    /// caller had it) may be kept to spare reading them back.
    func didPublish(_ version: Int, content: StoreContent, dataset: Dataset?)
    /// The backend's own integrity check (SQLite's, PostgreSQL's append-only triggers), its
    /// findings added to `verify`'s report; throws on a problem.
    func backendIntegrity() throws -> JSONObject
}

extension VersionBackend {
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
                                 kind: .badRequest, code: "nothing_to_publish")
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
            throw StoreError(location, "no version \(target); versions are 1 to \(head)", kind: .notFound,
                             code: "unknown_version")
        }
        guard target != head else {
            throw StoreError(location, "version \(target) is already the current version", kind: .conflict,
                             code: "already_current")
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
