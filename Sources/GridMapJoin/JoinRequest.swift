import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// What a bulk join appends to each row. Grid columns come from the version the row is
/// assigned in (empty when the point lies in no grid); `wgs84_lon`/`wgs84_lat` are the row's
/// point as located (converted from the input CRS, or geocoded).
public enum JoinColumn: String, CaseIterable, Sendable {
    case gridID = "grid_id", gridName = "grid_name"
    case communityID = "community_id", communityName = "community_name"
    case streetID = "street_id", streetName = "street_name"
    case workers, workerPhones = "worker_phones", version
    case wgs84Lon = "wgs84_lon", wgs84Lat = "wgs84_lat"

    public static let defaults: [JoinColumn] = [.gridID, .gridName, .communityID, .streetID]
    /// An address column's rows also get the point it was geocoded to.
    public static let addressDefaults: [JoinColumn] = defaults + [.wgs84Lon, .wgs84Lat]

    package var isPerRow: Bool { self == .wgs84Lon || self == .wgs84Lat }

    /// `grid_id,street_id`: names separated by commas.
    public static func list(_ text: String) throws -> [JoinColumn] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let columns = try names.map { name in
            guard let c = JoinColumn(rawValue: name) else {
                let known = allCases.map(\.rawValue).joined(separator: ", ")
                throw JoinError("unknown column '\(name)'; choose from \(known)")
            }
            return c
        }
        guard !columns.isEmpty else { throw JoinError("name at least one column to append") }
        return columns
    }
}

public enum JoinFormat: String, Sendable, CaseIterable {
    case csv
    /// JSON Lines: one object per row, the input columns by header name (strings), then the
    /// appended ones (null when the point lies in no grid).
    case jsonl
}

public struct JoinError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A bulk join: which columns of the input locate each row, and what to write.
public struct JoinRequest: Sendable {
    public enum Source: Sendable {
        /// Longitude and latitude columns, by header name; nil looks for the usual names.
        case coordinates(lon: String?, lat: String?)
        /// A column of typed addresses, geocoded.
        case address(String)
    }

    public var source: Source
    public var crs: CRS
    public var columns: [JoinColumn]
    public var format: JoinFormat
    /// A column of dates or times: each row is assigned in the version live then.
    public var dateColumn: String?
    /// A column of categories (code or name of the catalogue): each row also gets its route
    /// (`JoinRoutes.columns`).
    public var categoryColumn: String?

    public init(source: Source = .coordinates(lon: nil, lat: nil), crs: CRS = .wgs84, columns: [JoinColumn]? = nil,
                format: JoinFormat = .csv, dateColumn: String? = nil, categoryColumn: String? = nil) {
        self.source = source
        self.crs = crs
        if case .address = source {
            self.columns = columns ?? JoinColumn.addressDefaults
        } else {
            self.columns = columns ?? JoinColumn.defaults
        }
        self.format = format
        self.dateColumn = dateColumn
        self.categoryColumn = categoryColumn
    }

    /// The columns `categoryColumn` appends.
    public static var routeColumns: [String] { JoinRoutes.columns }

    /// The names of the columns appended to each row, in order.
    public var appendedColumns: [String] {
        columns.map(\.rawValue) + (categoryColumn == nil ? [] : JoinRoutes.columns)
    }

    /// Header names tried, in order, when the coordinate columns are not named.
    public static let longitudeNames = ["lon", "lng", "longitude", "long", "x", "经度"]
    public static let latitudeNames = ["lat", "latitude", "y", "纬度"]

    /// The input columns this request reads, found in the header (names compared without case
    /// or surrounding spaces).
    package func columns(in header: [String]) throws -> JoinPlan {
        let folded = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func find(_ name: String, _ role: String) throws -> Int {
            guard let k = folded.firstIndex(of: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw JoinError("no \(role) column '\(name)' in the header: \(header.joined(separator: ","))")
            }
            return k
        }
        func guess(_ names: [String], _ role: String, option: String) throws -> Int {
            guard let k = names.lazy.compactMap({ folded.firstIndex(of: $0) }).first else {
                throw JoinError("""
                    no \(role) column among \(header.joined(separator: ",")): name it with \(option) \
                    (looked for \(names.joined(separator: ", "))), or geocode an address column with --address
                    """)
            }
            return k
        }
        var plan = JoinPlan(fieldCount: header.count)
        switch source {
        case .coordinates(let lon, let lat):
            plan.lon = try lon.map { try find($0, "longitude") }
                ?? guess(Self.longitudeNames, "longitude", option: "--lon")
            plan.lat = try lat.map { try find($0, "latitude") }
                ?? guess(Self.latitudeNames, "latitude", option: "--lat")
        case .address(let name):
            plan.address = try find(name, "address")
        }
        plan.date = try dateColumn.map { try find($0, "date") } ?? -1
        plan.category = try categoryColumn.map { try find($0, "category") } ?? -1
        return plan
    }
}

/// Where a request's inputs are in the rows (column numbers).
package struct JoinPlan: Sendable {
    package let fieldCount: Int
    package var lon = -1, lat = -1, address = -1, date = -1, category = -1
}

extension JoinError: KindedError {
    public var kind: ErrorKind { .badRequest }
    public var code: String { "bad_join" }
    public var message: String { description }
}
