import GridMapGeometry
import GridMapModel
import GridMapStore

/// The category catalogue as a city system reads it (Open311 GeoReport v2's service list and
/// service definitions): one entry per category, in code order.
public struct CatalogueRequest: Sendable {
    /// The district a request names (`jurisdiction_id`), if any: it must be this map's.
    public let jurisdiction: String?
    /// One category's code, for its definition; nil for the whole list.
    public let code: String?

    public init(jurisdiction: String?, code: String? = nil) {
        self.jurisdiction = jurisdiction
        self.code = code
    }

    /// The categories asked for, checked against the map.
    public func categories(_ snapshot: Snapshot) throws -> [Category] {
        if let jurisdiction, jurisdiction != snapshot.dataset.districtID {
            throw RequestError("jurisdiction_id '\(jurisdiction.prefix(40))' is not this district "
                               + "(\(snapshot.dataset.districtID))", code: .unknownJurisdiction)
        }
        guard let units = snapshot.departmentUnits, !units.categories.isEmpty else {
            throw RequestError("this map has no category catalogue (categories.csv)", code: .noNetwork)
        }
        guard let code else { return units.categories.values.sorted { $0.code < $1.code } }
        guard let one = units.categories[code] else {
            throw RequestError("unknown service_code '\(code.prefix(40))'", code: .unknownCategory)
        }
        return [one]
    }

    /// A category's description for a list of services: its group, who handles it, its limit.
    public static func description(_ c: Category, _ snapshot: Snapshot) -> String {
        let who = c.departmentID.flatMap { snapshot.departmentUnits?.departments[$0]?.name } ?? "属地（网格员、社区、街道）"
        return "\(c.group)：\(c.name)。处置：\(who)，时限 \(c.timeLimitHours) 小时。"
    }
}
