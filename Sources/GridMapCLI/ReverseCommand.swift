import ArgumentParser
import GridMapCore

/// `gridmap reverse LON LAT`: the standard addresses nearest a point.
struct ReverseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reverse",
        abstract: "Print the standard addresses nearest a point (default: within 50 m, 5 of them), as JSON.")

    @Argument(help: "Longitude (or x in the given CRS).") var lon: String
    @Argument(help: "Latitude (or y in the given CRS).") var lat: String
    @Option(help: "Within this many metres, at most 1,000 (default 50).") var radius: Double?
    @Option(help: "At most this many addresses, 1 to 100 (default 5).") var limit: Int?
    @Option(help: "CRS of the input.") var crs = "wgs84"
    @OptionGroup var options: DataOptions

    func run() throws {
        let raw = Coordinate(try number(lon, "longitude"), try number(lat, "latitude"))
        let point: Coordinate
        let request: ReverseGeocodeRequest
        do {
            point = try CoordinateConverter().toWGS84(raw, from: try CRS(parsing: crs))
            request = try ReverseGeocodeRequest(radius: radius, limit: limit)
        } catch { throw ValidationError("\(error)") }
        do { print(String(decoding: try options.snapshot().reverseGeocodeJSON(point, request), as: UTF8.self)) } catch {
            throw Failure(error)
        }
    }
}
