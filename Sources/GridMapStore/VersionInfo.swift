import Foundation
import GridMapGeometry
import GridMapModel

/// One published version: who published it, when, why, and what it changed.
public struct VersionInfo: Sendable {
    public let id: Int
    public let parent: Int?
    public let publishedMs: Int64
    public let author: String
    public let message: String
    public let changedGrids: [String]
    /// `added`/`changed`/`removed` counts per layer, and `counts`, the live features per layer.
    public let summary: JSONObject

    public var publishedAt: String { VersionInfo.iso(publishedMs) }

    public var json: JSONValue {
        [
            "version": JSONValue(id), "parent": parent.map { JSONValue($0) } ?? .null,
            "published_at": .string(publishedAt),
            "author": .string(author), "message": .string(message),
            "changed_grids": .array(changedGrids.map { .string($0) }), "summary": .object(summary),
        ]
    }

    package static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// What a version changed, and how many of each it holds (`addressCount`: its addresses,
    /// counted by the caller when `content` was read without them).
    package static func summary(_ changes: ChangeSet, base: StoreContent, content: StoreContent,
                        addressCount: Int) -> JSONObject {
        var added = JSONObject(), changed = JSONObject(), removed = JSONObject(), counts = JSONObject()
        func count(_ name: String, _ ids: some Collection<String>, was: (String) -> Bool, now: (String) -> Bool) {
            added[name] = JSONValue(ids.filter { !was($0) && now($0) }.count)
            changed[name] = JSONValue(ids.filter { was($0) && now($0) }.count)
            removed[name] = JSONValue(ids.filter { was($0) && !now($0) }.count)
        }
        for layer in Layer.featureLayers {
            count(layer.rawValue, (changes.features[layer] ?? [:]).keys,
                  was: { base.layers[layer]?[$0] != nil }, now: { content.layers[layer]?[$0] != nil })
            counts[layer.rawValue] = JSONValue(content.layers[layer]?.count ?? 0)
        }
        count("addresses", changes.addresses.keys, was: { base.addresses?[$0] != nil },
              now: { content.addresses?[$0] != nil })
        counts["addresses"] = JSONValue(addressCount)
        return [
            "added": .object(added), "changed": .object(changed), "removed": .object(removed),
            "counts": .object(counts),
        ]
    }

    package init(id: Int, parent: Int?, publishedMs: Int64, author: String, message: String,
                 changedGrids: [String], summary: JSONObject) {
        self.id = id
        self.parent = parent
        self.publishedMs = publishedMs
        self.author = author
        self.message = message
        self.changedGrids = changedGrids
        self.summary = summary
    }
}
