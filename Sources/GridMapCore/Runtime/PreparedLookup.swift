import GridMapGeometry
import GridMapModel
import GridMapStore

/// What a one-off lookup needs of a version, kept in the store: the grid index as built and
/// each grid's reply, so that `gridmap locate LON LAT` reads one blob and answers, instead of
/// reading the whole version and building its indexes (0.2 s at Yufeng, seconds at 100×).
///
/// Written the first time the CLI looks a version up (when it may write the store); a version
/// never changes, so neither does its blob. A blob carries a sample reply made by the build
/// that wrote it; a build whose replies differ (a new field, say) ignores the blob and writes
/// its own, so an old blob can never answer in an old format.
public struct PreparedLookup: Sendable {
    package static let kind = "locate/1"
    package let grids: GridIndex
    package let replies: LocationReplies

    /// The grid owning a WGS 84 point (the same index and boundary rule as `Snapshot.locate`).
    public func locate(_ point: Coordinate) -> Int? { grids.locate(point) }

    /// `Snapshot.locationText`, byte for byte.
    public func locationText(grid g: Int?, point: Coordinate, input: Coordinate?, crs: CRS) -> String {
        var out: [UInt8] = []
        replies.write(grid: g, point: point, input: input, crs: crs, to: &out, more: nil)
        return String(decoding: out, as: UTF8.self)
    }

    package init(snapshot: Snapshot) {
        grids = snapshot.grids
        replies = snapshot.replies
    }

    /// Version `version`'s prepared lookup, nil when the store holds none usable.
    public static func load(store: any VersionedStore, version: Int) throws -> PreparedLookup? {
        try store.withPreparedBlob(version: version, kind: kind) { blob -> PreparedLookup? in
            var r = BlobReader(blob)
            do {
                guard try r.array(of: UInt8.self) == signature else { return nil }
                let grids = try GridIndex(reading: &r)
                let tails = try PackedBytes(reading: &r)
                let ending = try r.array(of: UInt8.self)
                guard r.isAtEnd, tails.count == grids.gridCount + 1 else { return nil }
                return PreparedLookup(grids: grids, replies: LocationReplies(tails: tails, ending: ending))
            } catch { return nil }
        }
    }

    private init(grids: GridIndex, replies: LocationReplies) {
        self.grids = grids
        self.replies = replies
    }

    /// Writes `snapshot`'s prepared lookup as version `version`'s. Best effort: a store this
    /// process may not write is left as it is (the next lookup builds the version again).
    public static func save(_ snapshot: Snapshot, store: any VersionedStore, version: Int) {
        var w = BlobWriter()
        w.array(signature)
        snapshot.grids.write(to: &w)
        snapshot.replies.tails.write(to: &w)
        w.array(snapshot.replies.ending)
        try? store.savePrepared(version: version, kind: kind, blob: w.bytes)
    }

    /// A reply to a made-up grid, as this build writes it.
    package static let signature: [UInt8] = {
        let shape = Shape.polygon([])
        let grid = Grid(id: "g", name: "网格", communityID: "c", streetID: "s", households: 1, population: 2,
                        shape: shape, properties: [:])
        let community = Community(id: "c", name: "社区", kind: "community", streetID: "s", shape: shape,
                                  properties: [:])
        let street = Street(id: "s", name: "街道", kind: "street", shape: shape, properties: [:])
        let worker = Resource(id: "w", name: "员", kind: "grid_worker", gridID: "g", contact: "1",
                              location: Coordinate(1, 2), properties: [:], locatedGridID: "g")
        let ending = Array(#","data_version":"1"}"#.utf8)
        let tail = Array("},".utf8) + Snapshot.gridFragment(grid, community: community, street: street,
                                                             workers: [worker]) + ending
        let replies = LocationReplies(tails: PackedBytes(count: 1) { _ in tail }, ending: ending)
        var out: [UInt8] = []
        replies.write(grid: 0, point: Coordinate(1.5, 2.25), input: Coordinate(3, 4), crs: .gcj02, to: &out,
                      more: nil)
        return out
    }()
}

