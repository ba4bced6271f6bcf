import Foundation

public struct Street: Sendable {
    public var id: String
    public var name: String
    /// "street" (街道) or "town" (镇).
    public var kind: String
    public var shape: Shape
    public var properties: JSONObject
}

public struct Community: Sendable {
    public var id: String
    public var name: String
    /// "community" (社区) or "village" (村).
    public var kind: String
    public var streetID: String
    public var shape: Shape
    public var properties: JSONObject
}

public struct Grid: Sendable {
    public var id: String
    public var name: String
    public var communityID: String
    public var streetID: String
    public var households: Int
    public var population: Int
    public var shape: Shape
    public var properties: JSONObject
}

public struct Resource: Sendable {
    public var id: String
    public var name: String
    /// grid_worker, enforcement, service_company, camera, venue, service_point, …
    public var kind: String
    public var gridID: String?
    public var contact: String?
    public var location: Coordinate
    public var properties: JSONObject
}

public struct Address: Sendable {
    public var id: String
    public var text: String
    public var street: String
    public var community: String
    public var road: String
    public var number: String
    public var compound: String
    public var building: String
    public var unit: String
    public var room: String
    public var location: Coordinate
    public var gridID: String
}

/// A district's data: one version of everything a lookup needs, as plain values.
public struct Dataset: Sendable {
    public var districtID: String
    public var districtName: String
    public var outline: Shape
    public var streets: [Street]
    public var communities: [Community]
    public var grids: [Grid]
    public var resources: [Resource]
    public var addresses: [Address]
    /// A short content hash of the files it was read from: names the data a reply came from.
    public var version: String

    public init(districtID: String, districtName: String, outline: Shape, streets: [Street],
                communities: [Community], grids: [Grid], resources: [Resource], addresses: [Address],
                version: String) {
        self.districtID = districtID; self.districtName = districtName; self.outline = outline
        self.streets = streets; self.communities = communities; self.grids = grids
        self.resources = resources; self.addresses = addresses; self.version = version
    }
}

/// A missing or unreadable data file, named with what is wrong in it.
public struct DataError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let message: String
    public init(_ file: String, _ message: String) { self.file = file; self.message = message }
    public var description: String { "\(file): \(message)" }
}

/// The data directory layout (see README, "Data layout").
public enum DataFiles {
    public static let outline = "outline.geojson"
    public static let streets = "streets.geojson"
    public static let communities = "communities.geojson"
    public static let grids = "grids.geojson"
    public static let resources = "resources.geojson"
    public static let addresses = "addresses.csv"
    public static let manifest = "manifest.json"
    public static let addressColumns = ["id", "address", "street", "community", "road", "number", "compound",
                                        "building", "unit", "room", "lon", "lat", "grid_id"]
}
