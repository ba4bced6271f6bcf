import ArgumentParser
import Foundation
import GridMapCore

/// `gridmap-bench`: the benchmarks, apart from the shipped `gridmap` (tools/serve.sh does not
/// build this; the benchmark scripts and docs/PERFORMANCE.md do). Release builds only give
/// meaningful figures: `swift build -c release --product gridmap-bench`.
@main
struct GridMapBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridmap-bench",
        abstract: "gridmap's in-process benchmarks: the lookup engine and the store.",
        subcommands: [LookupBench.self, StoreBench.self])
}

/// Where the benchmarks read data: `$GRIDMAP_DATA`, else `data/yufeng` in the working
/// directory or up from the executable.
enum BenchData {
    static var defaultDirectory: String {
        DataFiles.defaultDirectory(environment: ProcessInfo.processInfo.environment,
                                   executable: CommandLine.arguments.first)
    }
}

/// An engine error as a benchmark reports it: `code: message`, exit status 1.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ error: Error) { description = "\(error.errorCode): \(error.clientMessage(planner: true))" }
}
