import ArgumentParser
import Foundation
import GridMapCore

@main
struct GridMap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridmap",
        abstract: "The one-map lookup for grid governance: which grid owns a place, who works it, what is near.",
        subcommands: [
            LocateCommand.self, GeocodeCommand.self, ServeCommand.self, NearbyCommand.self, ConvertCommand.self,
            ReverseCommand.self, JoinCommand.self, StoreCommand.self, PlanCommand.self, BenchCommand.self,
        ])
}

/// Options every data-reading command shares: which store to read.
struct DataOptions: ParsableArguments {
    @Option(help: "The map store to read (default: $GRIDMAP_STORE, else the --data directory's store).")
    var store: String?
    @Option(
        help: ArgumentHelp(
            "Data directory laid out like data/yufeng (default: the bundled Yufeng data); "
                + "its store, DIR.gridmap, is created from it on first use."))
    var data: String?

    /// The store's path, created from the data directory if it does not exist yet.
    func storePath() throws -> String {
        do { return try StoreLocation.resolve(store: store, data: data) } catch { throw Failure(error) }
    }

    func snapshot() throws -> Snapshot {
        let path = try storePath()
        do { return try Snapshot.load(store: path) } catch { throw Failure(error) }
    }
}

/// Buffered standard output: bulk jobs print millions of lines.
final class Output {
    private var buffer: [UInt8] = []
    func line(_ s: String) { line(bytes: Array(s.utf8)) }
    /// A line already encoded (engine answers are UTF-8 bytes: no conversion).
    func line(bytes: [UInt8]) {
        buffer += bytes
        buffer.append(10)
        if buffer.count > 1 << 16 { flush() }
    }
    func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
    deinit { flush() }
}

/// Parses a coordinate argument with a message naming which one is wrong.
func number(_ text: String, _ what: String) throws -> Double {
    guard let v = parseDecimal(text.trimmingCharacters(in: .whitespaces)) else {
        throw ValidationError("\(what) '\(text)' is not a number")
    }
    return v
}

/// Turns library errors into a one-line message and exit status 1 (ArgumentParser prints
/// `Error: …` for anything thrown from `run`).
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ error: Error) { description = "\(error)" }
    init(message: String) { description = message }
}
