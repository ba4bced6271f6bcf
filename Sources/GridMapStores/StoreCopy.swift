import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapSQLite
import GridMapPostgres

/// A store's whole history written into another store (a file into a database and back):
/// each version with the id, parent, time, author, message and summary it was published
/// with, and exactly the rows it changed, so every version's content (and export) is the
/// same in the copy. Drafts are work in progress and stay behind (the copy says how many).
public enum StoreCopy {
    /// Copies `source`'s history into `target`, where no store may be yet. Answers what was
    /// copied. Each version is written in its own transaction: a copy stopped midway leaves
    /// a store holding the versions up to where it stopped, which `gridmap store verify` checks.
    public static func copy(from source: String, to target: String,
                            progress: (VersionInfo) -> Void = { _ in }) throws -> JSONValue {
        let from = try Stores.open(source, readOnly: true)
        guard try !Stores.exists(target) else {
            throw StoreError(target, "already holds a store: a copy goes to a new file or an empty database",
                             code: .storeExists)
        }
        let versions = try from.versions()
        guard let first = versions.first else { throw StoreError(source, "holds no version") }
        var previous = try from.content(version: first.id, addresses: true)
        let written: any VersionBackend = PostgresStore.isDatabase(target)
            ? try PostgresStore.create(target, content: previous, author: first.author, message: first.message,
                                       recorded: first)
            : try SQLiteStore.create(path: target, content: previous, author: first.author, message: first.message,
                                  recorded: first)
        progress(first)
        for v in versions.dropFirst() {
            let next = try from.content(version: v.id, addresses: true)
            try written.append(copy: v, changes: previous.changes(to: next))
            previous = next
            progress(v)
        }
        let drafts = try from.draftInfos(all: false).count
        return ["source": .string(from.location), "target": .string(written.location),
                "versions": JSONValue(versions.count), "open_drafts_not_copied": JSONValue(drafts)]
    }
}
