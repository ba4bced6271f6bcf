import GridMapGeometry
import GridMapModel
import GridMapStore

/// What a VERSIONS asks (RESP's `VERSIONS [LIMIT n]`, HTTP's `/api/versions[?limit=n]`): the
/// newest `limit` versions, newest first. The default and the cap are here, once.
public struct VersionsRequest: MapRequest {
    public static let defaultLimit = 20
    public static let maxLimit = 10_000
    public let limit: Int

    public init(limit: Int?) throws {
        let limit = limit ?? Self.defaultLimit
        guard (1...Self.maxLimit).contains(limit) else {
            throw RequestError("limit must be an integer from 1 to \(Self.maxLimit), got \(limit)", code: .outOfRange)
        }
        self.limit = limit
    }

    public func isQuick(_ map: MapView) -> Bool { false }

    public func answer(_ map: MapView, into out: inout [UInt8]) throws {
        let current = Int(map.current.version) ?? 0
        out += try map.service.withStore { try answer(store: $0, current: current) }
    }

    /// The version served (`current`), and the newest versions' records.
    public func answer(store: any VersionedStore, current: Int) throws -> [UInt8] {
        let json: JSONValue = [
            "current": JSONValue(current),
            "versions": .array(try store.versions().reversed().prefix(limit).map(\.json)),
            "data_version": .string(String(current)),
        ]
        return Array(json.serialized.utf8)
    }
}
