import ArgumentParser
import GridMapCore
import GridMapPlanning

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a coordinate between CRSs (wgs84, cgcs2000, gcj02, bd09, EPSG:<code>); prints `x y`.")

    @Argument(help: "Longitude or x.") var x: String
    @Argument(help: "Latitude or y.") var y: String
    @Option(help: "Source CRS.") var from: String
    @Option(help: "Target CRS.") var to: String

    func run() throws {
        let c: Coordinate
        do { c = Coordinate(try Parameter.number(x, "x"), try Parameter.number(y, "y")) } catch { throw Failure(error) }
        do {
            let out = try CoordinateConverter().convert(c, from: try CRS(parsing: from), to: try CRS(parsing: to))
            print("\(out.x) \(out.y)")
        } catch {
            throw Failure(error)
        }
    }
}
