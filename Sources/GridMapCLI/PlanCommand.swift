import ArgumentParser
import Foundation
import GridMapCore
import GridMapStores
import GridMapPlanning

/// `gridmap plan …`: drafts of the map, edited, validated, measured and published.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Redraw the map in drafts: split, merge, move boundaries, validate, see the impact, publish.",
        discussion: "Geometry arguments are WKT or GeoJSON (in EPSG:4326), or @FILE to read one from a file. "
            + "See docs/PLANNING.md.",
        subcommands: [
            Open.self, Drafts.self, Split.self, Merge.self, MoveBoundary.self, Transfer.self,
            MoveCommunity.self, Set.self, Assign.self, Unassign.self, Replace.self, Export.self,
            Validate.self, Impact.self, Publish.self, Discard.self, Undo.self, Show.self, Operation.self,
        ],
        // A name no subcommand has reaches the grammar, which refuses it as RESP and HTTP do.
        defaultSubcommand: Operation.self)

    /// The store and, for commands on one draft, the draft.
    struct DraftOptions: ParsableArguments {
        @OptionGroup var data: DataOptions
        @Option(name: .customLong("draft"), help: "The draft's number (from 'gridmap plan open').")
        var draftText: String
        /// The draft, read as every skin reads it.
        var draft: Int { get throws { try PlanRequest.draft(draftText) } }

        func planner() throws -> Planner { try PlanCommand.planner(data) }

        /// Sends the engine's request and prints its answer.
        func send(_ make: (Int) throws -> PlanRequest, author named: String? = nil) throws {
            try PlanCommand.send(data, author: named) { try make(try draft) }
        }

        /// Sends the request `name` about this draft with its named arguments, through the one grammar.
        func send(_ name: String, _ arguments: [String: [String]], author named: String? = nil) throws {
            var arguments = arguments
            arguments["draft"] = [draftText]
            try PlanCommand.send(data, author: named) {
                try PlanGrammar.request(name, NamedArguments(arguments), source: "gridmap plan")
            }
        }
    }

    /// Makes the request (its refusal is an engine error as any other) and prints the answer.
    static func send(_ data: DataOptions, author named: String? = nil, _ make: () throws -> PlanRequest) throws {
        let planner = try planner(data)
        do { printLine(try make().answer(planner, author: try author(named))) } catch { throw Failure(error) }
    }

    static func planner(_ data: DataOptions) throws -> Planner {
        let path = try data.storeLocation()
        do { return Planner(store: try Stores.open(path)) } catch { throw Failure(error) }
    }

    /// A geometry argument's text: WKT, GeoJSON, or @FILE holding one.
    static func text(_ argument: String) throws -> String {
        guard argument.hasPrefix("@") else { return argument }
        guard let data = FileManager.default.contents(atPath: String(argument.dropFirst())) else {
            throw ValidationError("cannot read \(argument.dropFirst())")
        }
        return String(decoding: data, as: UTF8.self)
    }

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "open", abstract: "Open a draft from the current version.")
        @Option(help: "What the draft is for.") var name: String
        @Option(help: "Who edits it (default: $USER).") var author: String?
        @OptionGroup var data: DataOptions
        func run() throws {
            try PlanCommand.send(data, author: author) {
                try PlanGrammar.read("open", NamedArguments(["name": [name]]))
            }
        }
    }

    struct Drafts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drafts", abstract: "List the open drafts (--all: closed ones too).")
        @Flag(help: "Published and discarded drafts too.") var all = false
        @OptionGroup var data: DataOptions
        func run() throws {
            try PlanCommand.send(data) { try PlanGrammar.read("drafts", NamedArguments(all ? ["all": ["1"]] : [:])) }
        }
    }

    struct Split: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "split",
            abstract: "Cut a grid along a line into new grids, numbered after the community's highest code.")
        @Option(help: "The grid to split.") var grid: String
        @Option(help: "The line (LineString or MultiLineString) that crosses the grid.") var line: String
        @OptionGroup var options: DraftOptions
        func run() throws {
            let line = try PlanCommand.text(line)
            try options.send("split", ["grid": [grid], "line": [line]])
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge",
            abstract: "Merge adjacent grids of one community into the one with the lowest code.")
        @Argument(help: "Two or more grid codes.") var grids: [String]
        @OptionGroup var options: DraftOptions
        func run() throws { try options.send("merge", ["grids": grids]) }
    }

    struct MoveBoundary: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "move-boundary",
            abstract: "Replace the boundary between two grids by a line with the same two end points.")
        @Option(help: "One grid.") var grid: String
        @Option(help: "The grid on the other side.") var neighbour: String
        @Option(help: "The new boundary (a LineString from one end of the old one to the other).") var line: String
        @OptionGroup var options: DraftOptions
        func run() throws {
            let line = try PlanCommand.text(line)
            try options.send("move_boundary", ["grid": [grid], "neighbour": [neighbour], "line": [line]])
        }
    }

    struct Transfer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "transfer",
            abstract: "Hand the part of an area that lies in the source grids to a neighbouring grid.")
        @Option(help: "The area (Polygon or MultiPolygon).") var area: String
        @Option(help: "The grid that receives it.") var to: String
        @Argument(help: "The grids it is taken from.") var sources: [String]
        @OptionGroup var options: DraftOptions
        func run() throws {
            let area = try PlanCommand.text(area)
            try options.send("transfer", ["target": [to], "area": [area], "sources": sources])
        }
    }

    struct MoveCommunity: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "move-community", abstract: "Move a grid to a neighbouring community (it is re-coded).")
        @Option(help: "The grid.") var grid: String
        @Option(help: "The community's code.") var community: String
        @OptionGroup var options: DraftOptions
        func run() throws { try options.send("move_community", ["grid": [grid], "community": [community]]) }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set a grid's name, households or population.")
        @Option(help: "The grid.") var grid: String
        @Argument(help: "name, households or population.") var field: String
        @Argument(help: "The value.") var value: String
        @OptionGroup var options: DraftOptions
        func run() throws { try options.send("set", ["grid": [grid], "field": [field], "value": [value]]) }
    }

    struct Assign: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "assign",
            abstract: "Assign a grid worker or enforcement officer to a grid.")
        @Argument(help: "The person's resource id (gw…, le…).") var resource: String
        @Argument(help: "The grid.") var grid: String
        @OptionGroup var options: DraftOptions
        func run() throws { try options.send("assign", ["resource": [resource], "grid": [grid]]) }
    }

    struct Unassign: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unassign", abstract: "Take a grid worker or officer off their grid.")
        @Argument(help: "The person's resource id.") var resource: String
        @OptionGroup var options: DraftOptions
        func run() throws { try options.send("unassign", ["resource": [resource]]) }
    }

    struct Replace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replace",
            abstract: "Replace the draft's grids (or units) with a layer edited in QGIS (GeoJSON, or that layer "
                + "of a .gpkg).")
        @Argument(help: "The file.") var file: String
        @Option(help: ArgumentHelp("The layer replaced: " + PlanRequest.replaceableLayers.joined(separator: " or ")
                                   + " (one network's areas of every department)."))
        var layer = PlanRequest.replaceableLayers[0]
        @OptionGroup var options: DraftOptions
        func run() throws {
            try options.send {
                let features = try Planner.features(at: file, layer: layer == "units" ? .units : .grids)
                return .edit(draft: try PlanRequest.draft($0),
                             try PlanRequest.replacing(layer, features: features, source: file))
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write the draft's grids for QGIS: GeoJSON, or a GeoPackage of the whole draft map (.gpkg).")
        @Argument(help: "The file.") var file: String
        @OptionGroup var options: DraftOptions
        func run() throws {
            do { try options.planner().export(draft: try options.draft, to: file) } catch { throw Failure(error) }
            print("draft \(options.draftText) written to \(file)")
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Validate a draft (or a version): coverage, nesting, codes, staff, households.",
            discussion: "Exits with status 2 when there are errors.")
        @Option(help: "The draft (default: the current version).") var draft: String?
        @Option(help: "A version to validate instead of a draft.") var version: String?
        @Option(help: "Smallest grid part, m² (default \(Int(ValidationRules().sliverArea))).") var sliverArea: String?
        @Option(help: ArgumentHelp("Households per grid without a warning, MIN-MAX (default "
                                   + "\(ValidationRules().households.lowerBound)-"
                                   + "\(ValidationRules().households.upperBound))."))
        var households: String?
        @Flag(help: "JSON instead of a table.") var json = false
        @OptionGroup var data: DataOptions

        func run() throws {
            let planner = try PlanCommand.planner(data)
            let named = ["draft": draft, "version": version, "sliver": sliverArea, "households": households]
            let arguments = NamedArguments(named.compactMapValues { $0.map { [$0] } })
            let request = try request { try PlanGrammar.read("validate", arguments) }
            let report: ValidationReport
            do {
                guard case .validate(let target, let rules) = request else { return }
                report = try PlanRequest.report(target, rules, planner)
            } catch { throw Failure(error) }
            if json {
                print(report.json.serialized)
            } else {
                print(
                    "\(report.grids) grids: \(report.errors.count) error(s), "
                        + "\(report.findings.count - report.errors.count) warning(s), \(Int(report.milliseconds)) ms")
                for f in report.findings {
                    let area = f.areaM2.map { String(format: " (%.1f m²)", $0) } ?? ""
                    print("\(f.severity.rawValue) \(f.rule): \(f.message)\(area)")
                }
            }
            if !report.isPublishable { throw ExitCode(2) }
        }
    }

    struct Impact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "impact",
            abstract: "Whom a draft affects: grids, addresses, residents, staff, codes; as a table, JSON or SVG.")
        @Flag(help: "JSON instead of a table.") var json = false
        @Option(help: "Also draw the changed area to this SVG file.") var svg: String?
        @OptionGroup var options: DraftOptions
        func run() throws {
            if json && svg == nil { return try options.send("impact", ["form": ["json"]]) }
            do {
                let report = try options.planner().impact(draft: try options.draft)
                print(json ? report.json.serialized : report.table, terminator: json ? "\n" : "")
                if let svg { try report.svg.write(toFile: svg, atomically: true, encoding: .utf8) }
            } catch { throw Failure(error) }
        }
    }

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish",
            abstract: "Publish a draft as the next version (rebased if others published meanwhile).")
        @Option(help: "Who publishes (default: $USER).") var author: String?
        @Option(help: "Why (default: the draft's name).") var message: String?
        @OptionGroup var options: DraftOptions
        func run() throws {
            try options.send("publish", message.map { ["message": [$0]] } ?? [:], author: author)
        }
    }

    struct Undo: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "undo", abstract: "Remove the draft's last operation.")
        @OptionGroup var options: DraftOptions
        func run() throws { try options.send("undo", [:]) }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show a draft and its operations.")
        @OptionGroup var options: DraftOptions
        func run() throws { try options.send("show", [:]) }
    }

    struct Discard: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "discard", abstract: "Discard a draft.")
        @OptionGroup var options: DraftOptions
        func run() throws { try options.send("discard", [:]) }
    }

    /// Any draft operation by the grammar's name and `name=value` arguments (a list repeats the
    /// name): `gridmap plan op move_boundary --draft 3 grid=… neighbour=… line=@FILE`. A name
    /// no subcommand has comes here too: it is refused as RESP and HTTP refuse it, before any
    /// other argument is looked at; an argument the operation does not take is refused by name.
    struct Operation: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "op", abstract: "Run a draft operation by its name with name=value arguments.")
        @Argument(help: ArgumentHelp("The operation: " + PlanGrammar.operations.map(\.name).joined(separator: ", ")))
        var name: String?
        @Argument(help: "Its arguments as name=value (a geometry's value may be @FILE).") var arguments: [String] = []
        @Option(name: .customLong("draft"), help: "The draft's number (from 'gridmap plan open').")
        var draftText: String?
        @Option(help: "Who edits it (default: $USER).") var author: String?
        @OptionGroup var data: DataOptions

        func run() throws {
            // `gridmap plan` alone: its help, as before there was a default subcommand.
            guard let name else { throw CleanExit.helpRequest(PlanCommand.self) }
            guard let op = PlanGrammar.operation(name) else { throw Failure(PlanGrammar.unknown(name)) }
            guard let draftText else { throw ValidationError("Missing expected argument '--draft <draft>'") }
            let names = op.parameters.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "?…")) }
            let accepted = Swift.Set(names)
            var named: [String: [String]] = [:]
            for argument in arguments {
                guard let eq = argument.firstIndex(of: "=") else {
                    throw ValidationError("'\(argument)' is not name=value")
                }
                let key = String(argument[..<eq])
                guard accepted.contains(key) else {
                    throw ValidationError("\(op.name) takes " + (names.isEmpty ? "no arguments"
                        : names.joined(separator: ", ")) + "; '\(key)' is not one of them")
                }
                named[key, default: []].append(try PlanCommand.text(String(argument[eq...].dropFirst())))
            }
            try PlanCommand.send(data, author: author) {
                try PlanGrammar.request(op.name, draft: try PlanRequest.draft(draftText), NamedArguments(named),
                                        source: "gridmap plan")
            }
        }
    }
}
