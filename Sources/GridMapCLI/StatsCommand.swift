import ArgumentParser
import Foundation
import GridMapCore

/// `gridmap stats`: the measures (绩在网中评) of every grid, unit, worker, … over a period, as
/// JSON or as a CSV a department head opens in a spreadsheet (Chinese headers, a formula row).
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Case measures by grid, community, street, unit, department, worker, category or source.")
    @Option(help: "district, street, community, grid, unit, department, worker, category or source.") var by: String
    @Option(help: "The period's start (a date or time, ISO 8601; China's time when no zone is given).")
    var from: String
    @Option(help: "The period's end (excluded).") var to: String
    @Option(help: "stamped (where each case was put when reported), current, or a version number.")
    var attribution = "current"
    @Option(help: "The figures as they were known at this moment (default: now).") var asof: String?
    @Option(help: "Rates over fewer cases than this are marked small and not ranked.")
    var minimum = CaseStatsRequest.defaultMinimum
    @Option(help: "json or csv.") var format = "json"
    @Option(help: "Only these objects' rows (ids, comma-separated), ranked among all.") var id: String?
    @OptionGroup var options: DataOptions

    func run() throws {
        var pairs = [("by", by), ("from", from), ("to", to), ("attribution", attribution),
                     ("minimum", String(minimum)), ("format", format)]
        if let asof { pairs.append(("asof", asof)) }
        if let id { pairs.append(("id", id)) }
        let path = try options.storeLocation()
        do {
            let request = try CaseStatsRequest(pairs)
            let out = try request.answer(MapView(MapService(storeLocation: path, readOnly: true)))
            FileHandle.standardOutput.write(Data(out))
            if format == "json" { FileHandle.standardOutput.write(Data("\n".utf8)) }
        } catch { throw Failure(error) }
    }
}
