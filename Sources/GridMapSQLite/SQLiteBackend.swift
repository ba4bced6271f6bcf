import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

extension SQLiteStore: VersionBackend {
    public var location: String { path }
    public func writeRefusal() throws -> String? { readOnly ? "the store file was opened read-only" : nil }

    public func insert(_ version: VersionInfo, changes: ChangeSet) throws {
        try SQLiteStore.insertVersion(db, version, changes: changes)
    }

    public func didPublish(_ version: Int, content: StoreContent, dataset: Dataset?) {
        remember(version, content: content, dataset: dataset)
    }
}
