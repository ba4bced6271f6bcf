import ArgumentParser
import GridMapCore

struct NearbyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nearby",
        abstract: "Print the nearest resources to a point (optionally of one kind, within a radius), as JSON.")

    @Argument(help: "Longitude (or x in the given CRS).") var lon: String
    @Argument(help: "Latitude (or y in the given CRS).") var lat: String
    @Option(help: "Only resources of this kind (grid_worker, enforcement, service_company, camera, venue, service_point).") var kind: String?
    @Option(help: "Only resources within this many metres.") var radius: Double?
    @Option(help: "At most this many resources.") var limit = 5
    @Option(help: "CRS of the input.") var crs = "wgs84"
    @OptionGroup var options: DataOptions

    func run() throws {
        let raw = Coordinate(try number(lon, "longitude"), try number(lat, "latitude"))
        let point: Coordinate
        do { point = try CoordinateConverter().toWGS84(raw, from: try CRS(parsing: crs)) } catch { throw ValidationError("\(error)") }
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        if let radius, !(radius >= 0) { throw ValidationError("--radius must be ≥ 0 metres") }
        let snapshot: Snapshot
        do { snapshot = try options.snapshot() } catch { throw Failure(error) }
        if let kind, !snapshot.resources.kinds.contains(kind) {
            throw ValidationError("unknown kind '\(kind)'; this data has \(snapshot.resources.kinds.joined(separator: ", "))")
        }
        print(snapshot.nearbyText(point: point, kind: kind, radius: radius, limit: limit))
    }
}
