import ArgumentParser
import GridMapCore
import GridMapPlanning

/// A point as the commands that take one read it: LON LAT in a CRS, as of a version.
struct PointArguments: ParsableArguments {
    @Argument(help: "Longitude (or x in the given CRS).") var lon: String
    @Argument(help: "Latitude (or y in the given CRS).") var lat: String
    @Option(help: "CRS of the input: wgs84 (the default), cgcs2000, gcj02, bd09 or EPSG:<code>.") var crs: String?
    @OptionGroup var asof: AsOfOption

    func query() throws -> PointQuery {
        do { return try PointQuery(lon: lon, lat: lat, crs: crs, asOf: asof.value) } catch { throw Failure(error) }
    }
}

/// `--asof`, for the commands that answer from a version other than the live one.
struct AsOfOption: ParsableArguments {
    @Option(name: .customLong("asof"), help: "As of a version number or an ISO 8601 date or time.") var value: String?
}

/// Makes a request, its refusal reported as any engine error is.
func request<R>(_ make: () throws -> R) throws -> R {
    do { return try make() } catch { throw Failure(error) }
}

/// `gridmap reverse LON LAT`: the standard addresses nearest a point.
struct ReverseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reverse",
        abstract: "Print the standard addresses nearest a point (default: within "
            + "\(Int(ReverseGeocodeRequest.defaultRadius)) m, "
            + "\(ReverseGeocodeRequest.defaultLimit) of them), as JSON.")

    @OptionGroup var point: PointArguments
    @Option(help: "Within this many metres, at most \(Int(ReverseGeocodeRequest.maxRadius)).") var radius: String?
    @Option(help: "At most this many addresses, 1 to \(ReverseGeocodeRequest.maxLimit).") var limit: String?
    @OptionGroup var options: DataOptions

    func run() throws {
        let query = try point.query()
        let (radius, limit) = (try number(radius, "radius"), try integer(limit, "limit"))
        try options.print(try request { try ReverseRequest(query, radius: radius, limit: limit) })
    }
}

/// `gridmap nearby LON LAT`: the nearest resources.
struct NearbyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nearby",
        abstract: "Print the nearest resources to a point (optionally of one kind, within a radius), as JSON.")

    @OptionGroup var at: PointArguments
    @Option(
        help: "Only resources of this kind (grid_worker, enforcement, service_company, camera, venue, service_point).")
    var kind: String?
    @Option(help: "Only resources within this many metres (at most \(Int(NearbyRequest.maxRadius))).")
    var radius: String?
    @Option(help: ArgumentHelp("At most this many resources, 1 to \(NearbyRequest.maxLimit) (default: "
            + "\(NearbyRequest.defaultLimit), or \(NearbyRequest.defaultLimitWithinRadius) within a radius)."))
    var limit: String?
    @OptionGroup var options: DataOptions

    func run() throws {
        let query = try at.query()
        let (radius, limit) = (try number(radius, "radius"), try integer(limit, "limit"))
        try options.print(try request { try NearbyRequest(query, kind: kind, radius: radius, limit: limit) })
    }
}

/// `gridmap route LON LAT CATEGORY`: who must handle a report there.
struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Print who must handle a report of a category at a point: unit, staff, 属地 chain, due time (JSON).")
    @OptionGroup var point: PointArguments
    @Argument(help: "The category's code (see /open311/v2/services.json, or data/yufeng/categories.csv).")
    var category: String
    @Option(help: ArgumentHelp("Flag another unit of the department this near, in metres (default "
                               + "\(Int(RouteRequest.defaultBorderMetres)))."))
    var border: String?
    @OptionGroup var options: DataOptions
    func run() throws {
        let query = try point.query()
        let border = try number(border, "border")
        try options.print(try request { try RouteRequest(query, category: category, border: border) })
    }
}

/// `gridmap route-address "ADDRESS" CATEGORY`: ROUTE at a typed address.
struct RouteAddressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route-address", abstract: "Print the route of a report at a typed address (JSON).")
    @Argument(help: "The address, as typed.") var address: String
    @Argument(help: "The category's code.") var category: String
    @OptionGroup var options: DataOptions
    func run() throws { try options.print(try request { try RouteAddressRequest(address, category: category) }) }
}

/// `gridmap grid ID`: one grid.
struct GridCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grid", abstract: "Print one grid's attributes, workers and geometry, as JSON.")
    @Argument(help: "The grid's id.") var id: String
    @OptionGroup var asof: AsOfOption
    @OptionGroup var options: DataOptions
    func run() throws { try options.print(GridRequest(id, asOf: asof.value)) }
}

/// `gridmap grids [--street ID | --community ID]`.
struct GridsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grids", abstract: "Print every grid, or one street's or community's, as JSON.")
    @Option(help: "Only this street's grids.") var street: String?
    @Option(help: "Only this community's grids.") var community: String?
    @OptionGroup var asof: AsOfOption
    @OptionGroup var options: DataOptions
    func run() throws {
        try options.print(try request { try GridsRequest(street: street, community: community, asOf: asof.value) })
    }
}

/// `gridmap neighbours ID`.
struct NeighboursCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbours", abstract: "Print the grids sharing a boundary with a grid, with their workers.",
        aliases: ["neighbors"])
    @Argument(help: "The grid's id.") var id: String
    @OptionGroup var asof: AsOfOption
    @OptionGroup var options: DataOptions
    func run() throws { try options.print(NeighboursRequest(id, asOf: asof.value)) }
}

/// `gridmap area --circle … | --box … | --geometry …`: the grids an incident area touches.
struct AreaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "area", abstract: "Print the grids an area touches, with the share of each, as JSON.")
    @Option(help: "lon,lat,metres (at most \(Int(AreaRequest.maxRadius)) m).") var circle: String?
    @Option(help: "minlon,minlat,maxlon,maxlat.") var box: String?
    @Option(help: "WKT or GeoJSON (EPSG:4326), or @FILE holding one.") var geometry: String?
    @OptionGroup var options: DataOptions

    func validate() throws {
        guard [circle, box, geometry].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give one of --circle, --box or --geometry")
        }
    }

    func run() throws {
        if let geometry { return try options.print(AreaRequest.geometry(try PlanCommand.text(geometry))) }
        try options.print(try request { try circle.map(AreaRequest.circle) ?? AreaRequest.box(box!) })
    }
}
