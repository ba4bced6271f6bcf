import GridMapGeometry
import GridMapModel
import GridMapStore

/// The map a request is answered from: the service, and the live version as the caller took
/// it (a RESP connection takes it once per batch of pipelined requests, not once per request).
public struct MapView: Sendable {
    public let service: MapService
    public let current: Snapshot

    public init(_ service: MapService, current: Snapshot? = nil) {
        self.service = service
        self.current = current ?? service.current
    }

    /// The version live at the moment `asOf` names (a version id or an ISO 8601 date or
    /// time), or the live one for nil; built when not at hand (slow: off any event loop).
    public func snapshot(asOf: String?) throws -> Snapshot {
        guard let asOf else { return current }
        return try service.snapshot(version: try service.resolve(asOf: asOf))
    }

    /// Whether `snapshot(asOf:)` needs no build: the live version, a cached one, or an `asOf`
    /// that fails at once.
    public func isAtHand(asOf: String?) -> Bool {
        guard let asOf else { return true }
        guard let v = try? service.resolve(asOf: asOf) else { return true }
        return service.cachedSnapshot(version: v) != nil
    }
}

/// GRID id: one grid's attributes and geometry, as of a version if given.
public struct GridRequest: MapRequest {
    public let id: String
    public let asOf: String?
    public init(_ id: String, asOf: String? = nil) { self.id = id; self.asOf = asOf }
    public func isQuick(_ map: MapView) -> Bool { map.isAtHand(asOf: asOf) }
    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        out += Array(try map.snapshot(asOf: asOf).gridDetailJSON(id: id).serialized.utf8)
    }
}

/// GRIDS [STREET id | COMMUNITY id]: every grid, or one street's or community's.
public struct GridsRequest: MapRequest {
    public let street: String?
    public let community: String?
    public let asOf: String?

    public init(street: String? = nil, community: String? = nil, asOf: String? = nil) throws {
        guard street == nil || community == nil else {
            throw RequestError("give a street or a community, not both")
        }
        (self.street, self.community, self.asOf) = (street, community, asOf)
    }

    public func isQuick(_ map: MapView) -> Bool { map.isAtHand(asOf: asOf) }
    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        let snapshot = try map.snapshot(asOf: asOf)
        out += Array(try snapshot.gridsJSON(street: street, community: community).serialized.utf8)
    }
}

/// NEIGHBORS id: the grids sharing a stretch of boundary with a grid (GEOS overlays: always
/// off the event loop).
public struct NeighboursRequest: MapRequest {
    public let id: String
    public let asOf: String?
    public init(_ id: String, asOf: String? = nil) { self.id = id; self.asOf = asOf }
    public func isQuick(_ map: MapView) -> Bool { false }
    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        let snapshot = try map.snapshot(asOf: asOf)
        out += Array(try storedGeometry { try snapshot.neighboursJSON(id: id, context: ThreadResources.current.geos) }
            .serialized.utf8)
    }
}

/// VERSION id|date: one version's record.
public struct VersionRequest: MapRequest {
    public let asOf: String
    public init(_ asOf: String) { self.asOf = asOf }
    public func isQuick(_ map: MapView) -> Bool { false }
    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        let v = try map.service.resolve(asOf: asOf)
        out += try map.service.withStore { try answer(store: $0, version: v) }
    }

    /// The answer from a store, `asOf` resolved to `version` (by the store itself if nil).
    public func answer(store: any VersionedStore, version: Int? = nil) throws -> [UInt8] {
        Array(try store.version(try version ?? store.resolve(asOf: asOf)).json.serialized.utf8)
    }
}

/// DIFF from to: what changed between two versions (ids or dates), feature by feature.
public struct DiffRequest: MapRequest {
    public let from: String, to: String
    public init(from: String, to: String) { self.from = from; self.to = to }
    public func isQuick(_ map: MapView) -> Bool { false }
    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        let (a, b) = (try map.service.resolve(asOf: from), try map.service.resolve(asOf: to))
        out += try map.service.withStore { try answer(store: $0, versions: (a, b)) }
    }

    /// The answer from a store, the versions resolved by the store itself if not given.
    public func answer(store: any VersionedStore, versions: (Int, Int)? = nil) throws -> [UInt8] {
        let (a, b) = try versions ?? (try store.resolve(asOf: from), try store.resolve(asOf: to))
        return Array(try storedGeometry { try store.diff(from: a, to: b) }.serialized.utf8)
    }
}

/// GEOS failing on the store's own geometry (a neighbour overlay, a diff's moved area) is the
/// server's fault, not the client's: internal, and logged by the skin.
package func storedGeometry<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as GeometryError {
        throw StoreError("stored geometry", "GEOS failed on stored data: \(e.message)", code: .geometryFailure)
    }
}
