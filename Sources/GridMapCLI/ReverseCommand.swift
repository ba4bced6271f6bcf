import ArgumentParser
import GridMapCore

/// A point as the commands that take one read it: LON LAT in a CRS, converted to WGS 84.
struct PointArguments: ParsableArguments {
    @Argument(help: "Longitude (or x in the given CRS).") var lon: String
    @Argument(help: "Latitude (or y in the given CRS).") var lat: String
    @Option(help: "CRS of the input: wgs84, cgcs2000, gcj02, bd09 or EPSG:<code>.") var crs = "wgs84"

    func wgs84() throws -> Coordinate {
        let raw = Coordinate(try number(lon, "longitude"), try number(lat, "latitude"))
        do { return try CoordinateConverter().toWGS84(raw, from: try CRS(parsing: crs)) } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// `gridmap reverse LON LAT`: the standard addresses nearest a point.
struct ReverseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reverse",
        abstract: "Print the standard addresses nearest a point (default: within 50 m, 5 of them), as JSON.")

    @OptionGroup var point: PointArguments
    @Option(help: "Within this many metres, at most 1,000 (default 50).") var radius: Double?
    @Option(help: "At most this many addresses, 1 to 100 (default 5).") var limit: Int?
    @OptionGroup var options: DataOptions

    func run() throws {
        let p = try point.wgs84()
        let request: ReverseGeocodeRequest
        do { request = try ReverseGeocodeRequest(radius: radius, limit: limit) } catch {
            throw ValidationError("\(error)")
        }
        do { print(String(decoding: try options.snapshot().reverseGeocodeJSON(p, request), as: UTF8.self)) } catch {
            throw Failure(error)
        }
    }
}
