/// What a VERSIONS asks (RESP's `VERSIONS [LIMIT n]`, HTTP's `/api/versions[?limit=n]`): the
/// newest `limit` versions, newest first. The default and the cap are here, once.
public struct VersionsRequest: Sendable {
    public static let defaultLimit = 20
    public static let maxLimit = 10_000
    public let limit: Int

    public init(limit: Int?) throws {
        let limit = limit ?? Self.defaultLimit
        guard (1...Self.maxLimit).contains(limit) else {
            throw LookupError("limit must be an integer from 1 to \(Self.maxLimit), got \(limit)")
        }
        self.limit = limit
    }
}

extension MapService {
    /// The answer every skin gives: the version served, and the newest versions' records.
    public func versionsJSON(_ request: VersionsRequest) throws -> JSONValue {
        let all = try withStore { try $0.versions() }
        return [
            "current": JSONValue(Int(current.version) ?? 0),
            "versions": .array(all.reversed().prefix(request.limit).map(\.json)),
            "data_version": .string(current.version),
        ]
    }
}
