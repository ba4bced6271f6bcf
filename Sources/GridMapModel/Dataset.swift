import Foundation
import GridMapGeometry

public struct Street: Equatable, Sendable {
    public var id: String
    public var name: String
    /// "street" (街道) or "town" (镇).
    public var kind: String
    public var shape: Shape
    public var properties: JSONObject

    package init(id: String, name: String, kind: String, shape: Shape, properties: JSONObject) {
        self.id = id
        self.name = name
        self.kind = kind
        self.shape = shape
        self.properties = properties
    }
}

public struct Community: Equatable, Sendable {
    public var id: String
    public var name: String
    /// "community" (社区) or "village" (村).
    public var kind: String
    public var streetID: String
    public var shape: Shape
    public var properties: JSONObject

    package init(id: String, name: String, kind: String, streetID: String, shape: Shape, properties: JSONObject) {
        self.id = id
        self.name = name
        self.kind = kind
        self.streetID = streetID
        self.shape = shape
        self.properties = properties
    }
}

extension Street {
    /// What a reply says of it (id, name, kind): compared to tell whether a reply changes.
    package var named: [String] { [id, name, kind] }
}

extension Community {
    package var named: [String] { [id, name, kind] }
}

public struct Grid: Equatable, Sendable {
    public var id: String
    public var name: String
    public var communityID: String
    public var streetID: String
    public var households: Int
    public var population: Int
    public var shape: Shape
    public var properties: JSONObject

    package init(id: String, name: String, communityID: String, streetID: String, households: Int, population: Int,
                 shape: Shape, properties: JSONObject) {
        self.id = id
        self.name = name
        self.communityID = communityID
        self.streetID = streetID
        self.households = households
        self.population = population
        self.shape = shape
        self.properties = properties
    }
}

public struct Resource: Equatable, Sendable {
    public var id: String
    public var name: String
    /// grid_worker, enforcement, service_company, camera, venue, service_point, …
    public var kind: String
    /// The grid it is assigned to (grid workers, enforcement staff): planners' data.
    public var gridID: String?
    public var contact: String?
    public var location: Coordinate
    public var properties: JSONObject
    /// The grid it stands in, derived when a version is built.
    public var locatedGridID: String? = nil

    /// Kinds assigned to a grid by planners (their `grid_id`); other kinds' grid is derived.
    public static let assignedKinds: Set<String> = ["grid_worker", "enforcement"]

    /// The properties as stored: derived grids left out (an export writes them; an import of
    /// that export must not take them for planners' data).
    package var storedProperties: JSONObject {
        var p = properties
        p["located_grid_id"] = nil
        if !Resource.assignedKinds.contains(kind) { p["grid_id"] = nil }
        return p
    }

    /// The properties as exported: the assignment and where it stands.
    public var exportedProperties: JSONObject {
        var p = storedProperties
        if Resource.assignedKinds.contains(kind) {
            p["located_grid_id"] = JSONValue(locatedGridID)
        } else {
            p["grid_id"] = JSONValue(locatedGridID)
        }
        return p
    }

    package init(id: String, name: String, kind: String, gridID: String?, contact: String?, location: Coordinate,
                 properties: JSONObject, locatedGridID: String? = nil) {
        self.id = id
        self.name = name
        self.kind = kind
        self.gridID = gridID
        self.contact = contact
        self.location = location
        self.properties = properties
        self.locatedGridID = locatedGridID
    }
}

public struct Address: Equatable, Sendable {
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

    package init(id: String, text: String, street: String, community: String, road: String, number: String,
                 compound: String, building: String, unit: String, room: String, location: Coordinate,
                 gridID: String) {
        self.id = id
        self.text = text
        self.street = street
        self.community = community
        self.road = road
        self.number = number
        self.compound = compound
        self.building = building
        self.unit = unit
        self.room = room
        self.location = location
        self.gridID = gridID
    }
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
    /// One network (一张网): the departments, their units' areas and the category catalogue;
    /// empty for a district without them (then nothing is routed).
    public var departments: [Department] = []
    public var units: [ResponsibilityUnit] = []
    public var categories: [Category] = []
    /// The working days time limits in working days count on (calendar.csv).
    public var calendar = WorkCalendar()
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
extension StoreError {
    /// A data file (a data directory's GeoJSON or CSV, a GeoPackage, a planner's layer) that
    /// does not read as a map: the client's file, not the server's fault.
    public static func data(_ file: String, _ message: String) -> StoreError {
        StoreError(file, message, code: .badData)
    }
}

/// The layers of a district's map, as the store and the data directory name them.
public enum Layer: String, CaseIterable, Sendable {
    case outline, streets, communities, grids, resources, addresses, departments, units, categories, calendar

    public var fileName: String {
        switch self {
        case .departments: DataFiles.departments
        case .units: DataFiles.units
        case .categories: DataFiles.categories
        case .calendar: DataFiles.calendar
        case .outline: DataFiles.outline
        case .streets: DataFiles.streets
        case .communities: DataFiles.communities
        case .grids: DataFiles.grids
        case .resources: DataFiles.resources
        case .addresses: DataFiles.addresses
        }
    }

    /// The layers stored as features (addresses have a table of their own).
    public static let featureLayers: [Layer] = [.outline, .streets, .communities, .grids, .resources,
                                                .departments, .units, .categories, .calendar]
}

/// The features of each feature layer, as read from files or a store, before checking.
public struct LayerFeatures: Sendable {
    public var outline, streets, communities, grids, resources: [Feature]
    public var departments: [Feature] = [], units: [Feature] = [], categories: [Feature] = []
    public var calendar: [Feature] = []
    public init(outline: [Feature], streets: [Feature], communities: [Feature], grids: [Feature], resources: [Feature])
    {
        self.outline = outline; self.streets = streets; self.communities = communities
        self.grids = grids; self.resources = resources
    }
}

/// The data directory layout (see README, "Data layout").
public enum DataFiles {
    /// The bundled Yufeng data for a command: `environment`'s `GRIDMAP_DATA`, else `data/yufeng`
    /// in the working directory or up from the executable (so `swift run` and an installed
    /// binary both work). The caller hands over its environment: the engine reads none itself.
    public static func defaultDirectory(environment: [String: String], executable: String?) -> String {
        if let env = environment["GRIDMAP_DATA"], !env.isEmpty { return env }
        let fm = FileManager.default
        var candidates = [fm.currentDirectoryPath]
        var dir = URL(fileURLWithPath: executable ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 { candidates.append(dir.path); dir.deleteLastPathComponent() }
        for c in candidates where fm.fileExists(atPath: c + "/data/yufeng/" + grids) { return c + "/data/yufeng" }
        return "data/yufeng"
    }

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
