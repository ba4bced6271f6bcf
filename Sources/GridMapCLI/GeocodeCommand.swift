import ArgumentParser
import Foundation
import GridMapCore
import GridMapPlanning

struct GeocodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geocode",
        abstract: "Find the standard address, point and grid of a typed address (ranked candidates, as JSON).",
        discussion: "With --input, reads one address per line ('-' for standard input) "
            + "and prints one JSON object per line, in order.")

    @Argument(help: "The address, e.g. 柳州市鱼峰区立岸大道十二号3幢2单元.") var address: String?
    @Option(help: ArgumentHelp("At most this many candidates, 1 to \(GeocodeRequest.maxLimit) "
                               + "(default: \(GeocodeRequest.defaultLimit))."))
    var limit: String?
    @Option(help: "File of addresses, one per line ('-' for standard input).") var input: String?
    @OptionGroup var options: DataOptions

    func validate() throws {
        if (address == nil) == (input == nil) { throw ValidationError("give an ADDRESS or --input FILE") }
    }

    func run() throws {
        let limit = try integer(limit, "limit")
        guard let input else { return try options.print(try request { try GeocodeRequest(address!, limit: limit) }) }
        let snapshot = try options.snapshot()
        let data =
            input == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: input)
        guard let data else { throw ValidationError("cannot read \(input)") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("\(input) is not UTF-8 text")
        }
        // On every core, a batch at a time (answers are written as each batch ends, so memory
        // stays bounded however long the file), with progress on standard error.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let started = Date()
        let out = Output()
        let batch = 65_536
        for first in stride(from: 0, to: lines.count, by: batch) {
            let answers: [[UInt8]?]
            do {
                answers = try snapshot.geocodeLines(
                    Array(lines[first..<min(lines.count, first + batch)]), limit: limit, firstLine: first + 1)
            } catch { throw Failure(error) }
            for case let a? in answers { out.line(bytes: a) }
            let done = min(lines.count, first + batch)
            let rate = Double(done) / max(1e-3, Date().timeIntervalSince(started))
            FileHandle.standardError.write(Data("\rgeocoded \(done) of \(lines.count) (\(Int(rate))/s)".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        out.flush()
    }
}
