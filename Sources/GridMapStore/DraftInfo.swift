import Foundation
import GridMapGeometry
import GridMapModel

/// A draft: a planner's unpublished edits of the map, on top of the version it was opened from.
public struct DraftInfo: Sendable {
    public let id: Int
    public let name: String
    public let author: String
    /// The version it was opened from (its edits are stored against it).
    public let base: Int
    public let createdMs: Int64
    public let updatedMs: Int64
    /// `open`, `published` or `discarded`.
    public let status: String
    /// The version its publish made.
    public let publishedVersion: Int?
    /// Each operation applied, with what it did, oldest first.
    public let log: [JSONValue]
    /// Counts up with every save, so that two planners saving one draft cannot lose an edit.
    public let revision: Int

    public init(id: Int, name: String, author: String, base: Int, createdMs: Int64, updatedMs: Int64,
                status: String, publishedVersion: Int?, log: [JSONValue], revision: Int) {
        (self.id, self.name, self.author, self.base) = (id, name, author, base)
        (self.createdMs, self.updatedMs, self.status, self.publishedVersion) = (createdMs, updatedMs, status,
                                                                                 publishedVersion)
        (self.log, self.revision) = (log, revision)
    }

    public var json: JSONValue {
        [
            "draft": JSONValue(id), "name": .string(name), "author": .string(author), "base": JSONValue(base),
            "created_at": .string(VersionInfo.iso(createdMs)), "updated_at": .string(VersionInfo.iso(updatedMs)),
            "status": .string(status), "published_version": publishedVersion.map { JSONValue($0) } ?? .null,
            "operations": JSONValue(log.count),
        ]
    }
}
