import ArgumentParser
import Foundation
import GridMapCore
import GridMapNetwork
import GridMapStores
import GridMapPlanning

@main
struct GridMap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridmap",
        abstract: "The one-map lookup for grid governance: which grid owns a place, who works it, what is near.",
        subcommands: [
            LocateCommand.self, GeocodeCommand.self, ServeCommand.self, NearbyCommand.self, ConvertCommand.self,
            ReverseCommand.self, RouteCommand.self, RouteAddressCommand.self, GridCommand.self, GridsCommand.self,
            NeighboursCommand.self, AreaCommand.self,
            JoinCommand.self, StoreCommand.self, PlanCommand.self, UsersCommand.self, StatsCommand.self,
            CaseCommand.self, CasesCommand.self,
        ])

    /// ArgumentParser's entry point, with the engine's errors given their exit status.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand { try await async.run() } else { try command.run() }
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("Error: \(failure.description)\n".utf8))
            Foundation.exit(failure.kind.exitStatus)
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every data-reading command shares: which store to read.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The map store: a file, or a PostgreSQL URL (postgresql://…) (default: "
                               + "$GRIDMAP_STORE, else the --data directory's store)."))
    var store: String?
    @Option(
        help: ArgumentHelp(
            "Data directory laid out like data/yufeng (default: the bundled Yufeng data); "
                + "its store, DIR.gridmap, is created from it on first use."))
    var data: String?

    /// The store's path, created from the data directory if it does not exist yet.
    func storeLocation() throws -> String {
        do { return try StoreLocation.resolve(store: store, data: data) } catch { throw Failure(error) }
    }

    func snapshot() throws -> Snapshot {
        let path = try storeLocation()
        do { return try Snapshot.load(store: path) } catch { throw Failure(error) }
    }

    /// Prints the engine's answer to `request`, from the store's current version (read only).
    func print(_ request: some MapRequest) throws {
        let path = try storeLocation()
        do { printLine(try request.answer(MapView(MapService(storeLocation: path, readOnly: true)))) } catch {
            throw Failure(error)
        }
    }

    /// The store, for the commands that read its history only (no version built).
    func openStore() throws -> any VersionedStore {
        let path = try storeLocation()
        do { return try Stores.open(path, readOnly: true) } catch { throw Failure(error) }
    }
}

/// A numeric option's text read as every skin reads numbers (`Parameter`), so that a bad one
/// gets the engine's code and message, not the option parser's.
func number(_ text: String?, _ name: String) throws -> Double? {
    do { return try text.map { try Parameter.number($0, name) } } catch { throw Failure(error) }
}

func integer(_ text: String?, _ name: String) throws -> Int? {
    do { return try text.map { try Parameter.integer($0, name) } } catch { throw Failure(error) }
}

/// One answer, the engine's bytes, as a line on standard output.
func printLine(_ bytes: [UInt8]) {
    FileHandle.standardOutput.write(Data(bytes + [10]))
}

/// Who the CLI records as the author of what it opens or publishes: the one named, else the
/// login's user, else the engine's name for nobody in particular.
func author(_ named: String?) throws -> String {
    try Credentials.author(named: named, user: ProcessInfo.processInfo.environment["USER"])
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

/// A library error as the CLI reports it: one line on standard error (`Error: …`, the store's
/// path included: the CLI's user is its operator) and an exit status by the error's kind, the
/// one place the CLI maps errors (`ErrorKind.exitStatus`).
struct Failure: Error, CustomStringConvertible {
    let description: String
    let kind: ErrorKind
    /// `code: message`, as RESP's `-ERR code message` and HTTP's error object give them.
    init(_ error: Error) {
        description = "\(error.errorCode): \(error.clientMessage(planner: true))"
        kind = error.errorKind
    }
    init(message: String, kind: ErrorKind = .badRequest) {
        description = message
        self.kind = kind
    }
}

extension ErrorKind {
    /// sysexits(3) statuses, so that a script can tell a bad file from a broken server; 1 is
    /// left to ArgumentParser's own errors (bad options print usage and exit 64).
    var exitStatus: Int32 {
        switch self {
        case .badRequest: 65  // EX_DATAERR
        case .notFound: 66  // EX_NOINPUT
        case .conflict: 75  // EX_TEMPFAIL: try again on the new state
        case .forbidden: 77  // EX_NOPERM
        case .unavailable: 69  // EX_UNAVAILABLE
        case .internal: 70  // EX_SOFTWARE
        }
    }
}
