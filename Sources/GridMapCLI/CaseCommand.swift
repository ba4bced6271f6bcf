import ArgumentParser
import Foundation
import GridMapCore

/// `gridmap case …`: one case on the store, through the requests every skin uses. Whoever runs
/// the command holds the store, so acts as a dispatcher, recorded under `--account`.
struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case", abstract: "One case: report, get, act (as a dispatcher, named by --account).",
        subcommands: [Report.self, Get.self, Act.self])

    struct Who: ParsableArguments {
        @Option(help: "The account the events are recorded under.") var account = "cli"
        var actor: CaseActor { CaseActor(account: account, role: .dispatcher) }
    }

    static func map(_ options: DataOptions, readOnly: Bool = false) throws -> MapView {
        let path = try options.storeLocation()
        do { return MapView(try MapService(storeLocation: path, readOnly: readOnly)) } catch { throw Failure(error) }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reports a case at a point; prints it, stamped.")
        @Argument var lon: String
        @Argument var lat: String
        @Argument(help: "A category code of the catalogue.") var category: String
        @Option(help: "The point's CRS: wgs84, gcj02, bd09, cgcs2000 or an EPSG code.") var crs: String?
        @Option var description = ""
        @Option(help: "handheld, hotline, resident, open311 or import.") var source = "handheld"
        @Option(help: "An idempotency key: the same key reports the same case once.") var key: String?
        @Option(help: "An answer to the category's attributes, code=value (once per value).")
        var attribute: [String] = []
        @OptionGroup var who: Who
        @OptionGroup var options: DataOptions

        func run() throws {
            let map = try CaseCommand.map(options)
            do {
                guard let source = CaseSource(rawValue: source) else {
                    throw RequestError("source is handheld, hotline, resident, open311 or import", code: .badCase)
                }
                let request = try CaseReportRequest(
                    place: .point(PointQuery(lon: lon, lat: lat, crs: crs)), category: category,
                    description: description, source: source, key: key,
                    attributes: try CaseAttributes(codeEqualsValue: attribute))
                printLine(try request.answer(map, actor: who.actor))
            } catch { throw Failure(error) }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One case with its stamp and history.")
        @Argument var id: String
        @OptionGroup var who: Who
        @OptionGroup var options: DataOptions

        func run() throws {
            let map = try CaseCommand.map(options, readOnly: true)
            do { printLine(try CaseGetRequest(id).answer(map, actor: who.actor)) } catch { throw Failure(error) }
        }
    }

    struct Act: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Moves a case on: accept, refuse, dispatch, redispatch, handle, pass, fail, extend, defer, "
                + "resume, void (or their Chinese names).")
        @Argument var id: String
        @Argument var action: String
        @Option var note: String?
        @Option(help: "The unit it goes to (dispatch, redispatch).") var to: String?
        @Option(help: "The new due time (extend).") var due: String?
        @Option(help: "The event number last seen: refused as stale_case if the case has moved on.")
        var expect: String?
        @Option(help: "The case a void duplicates.") var duplicateOf: String?
        @OptionGroup var who: Who
        @OptionGroup var options: DataOptions

        func run() throws {
            let map = try CaseCommand.map(options)
            do {
                let request = try CaseActRequest(id: id, action: action, note: note, unit: to, due: due,
                                                 expect: expect, duplicateOf: duplicateOf)
                printLine(try request.answer(map, actor: who.actor))
            } catch { throw Failure(error) }
        }
    }
}

/// `gridmap cases …`: many cases: listed with CASES' filters, imported from and exported to CSV.
struct CasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases", abstract: "Cases: list (the filters of CASES), import and export historic cases as CSV.",
        subcommands: [List.self, Import.self, Export.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The cases a filter selects, by due time: NAME=VALUE pairs (grid=…, stage=…, overdue=true, "
                + "from=…, to=…, box=…, circle=…, limit=…; docs/PROTOCOL.md, CASES).")
        @Argument(help: "Filters as name=value.") var filters: [String] = []
        @OptionGroup var who: CaseCommand.Who
        @OptionGroup var options: DataOptions

        func run() throws {
            let pairs = try filters.map { f -> (String, String) in
                guard let eq = f.firstIndex(of: "=") else { throw ValidationError("a filter is name=value: '\(f)'") }
                return (String(f[..<eq]), String(f[f.index(after: eq)...]))
            }
            let map = try CaseCommand.map(options, readOnly: true)
            do { printLine(try CaseListRequest(pairs).answer(map, actor: who.actor)) } catch { throw Failure(error) }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Historic cases from CSV (one row per event, the columns of `cases export`): each stamped with "
                + "the map as of its report time, its events appended with their times. Prints what it did.")
        @Argument(help: "The CSV file ('-': standard input).") var file: String
        @OptionGroup var options: DataOptions

        func run() throws {
            let handle: FileHandle
            if file == "-" { handle = FileHandle.standardInput } else {
                guard let h = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
                handle = h
            }
            let map = try CaseCommand.map(options)
            let importer = CaseTransfer.Importer(map)
            var pieces = CSV.Pieces()
            let outcome: CaseTransfer.Outcome
            do {
                // A few megabytes at a time: a history of millions of rows is never held whole.
                while let data = try handle.read(upToCount: 4 << 20), !data.isEmpty {
                    guard let piece = pieces.add(data) else { continue }
                    try importer.add(try Self.text(piece, file), firstLine: piece.firstLine)
                }
                if let piece = pieces.finish() {
                    try importer.add(try Self.text(piece, file), firstLine: piece.firstLine)
                }
                outcome = try importer.finish()
            } catch let e as ValidationError { throw e } catch { throw Failure(error) }
            print(outcome.json.serialized)
            for r in outcome.refused.prefix(20) {
                FileHandle.standardError.write(Data("line \(r.line): \(r.code): \(r.message)\n".utf8))
            }
            if !outcome.refused.isEmpty { throw ExitCode(3) }
        }

        static func text(_ piece: (bytes: [UInt8], firstLine: Int), _ file: String) throws -> String {
            guard let text = String(validating: piece.bytes, as: UTF8.self) else {
                throw ValidationError("\(file) is not UTF-8 text (from line \(piece.firstLine))")
            }
            return text
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every case (reported in [--from, --to) if given) as CSV, one row per event; contacts are "
                + "not exported.")
        @Option(help: "Only cases reported from this time (ISO 8601).") var from: String?
        @Option(help: "Only cases reported before this time.") var to: String?
        @OptionGroup var options: DataOptions

        func run() throws {
            let map = try CaseCommand.map(options, readOnly: true)
            let out = FileHandle.standardOutput
            do { try CaseTransfer.exportCSV(map, from: from, to: to) { out.write(Data($0.utf8)) } } catch {
                throw Failure(error)
            }
        }
    }
}
