import ArgumentParser
import GridMapCore

struct NearbyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nearby",
        abstract: "Print the nearest resources to a point (optionally of one kind, within a radius), as JSON.")

    @OptionGroup var at: PointArguments
    @Option(
        help: "Only resources of this kind (grid_worker, enforcement, service_company, camera, venue, service_point).")
    var kind: String?
    @Option(help: "Only resources within this many metres (at most 100,000).") var radius: Double?
    @Option(help: "At most this many resources, 1 to 1,000 (default: 5, or 100 within a radius).") var limit: Int?
    @OptionGroup var options: DataOptions

    func run() throws {
        let point = try at.wgs84()
        let snapshot: Snapshot
        do { snapshot = try options.snapshot() } catch { throw Failure(error) }
        let request: NearbyRequest
        do { request = try NearbyRequest(kind: kind, radius: radius, limit: limit, in: snapshot) } catch {
            throw ValidationError("\(error)")
        }
        var out: [UInt8] = []
        snapshot.writeNearby(request, point: point, to: &out)
        print(String(decoding: out, as: UTF8.self))
    }
}
