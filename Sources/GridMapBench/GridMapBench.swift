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
        if let env = ProcessInfo.processInfo.environment["GRIDMAP_DATA"], !env.isEmpty { return env }
        let fm = FileManager.default
        var candidates = [fm.currentDirectoryPath]
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<6 { candidates.append(dir.path); dir.deleteLastPathComponent() }
        for c in candidates where fm.fileExists(atPath: c + "/data/yufeng/" + DataFiles.grids) {
            return c + "/data/yufeng"
        }
        return "data/yufeng"
    }
}

/// An engine error as a benchmark reports it: `code: message`, exit status 1.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ error: Error) { description = "\(error.errorCode): \(error.clientMessage(planner: true))" }
}
