import ArgumentParser
import Foundation
import GridMapCore
import GridMapStores
import GridMapPlanning

/// `gridmap store …`: the map store's versions, imports, exports, diffs and rollbacks.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "The map store: every version of the map, imported, exported, compared and rolled back.",
        subcommands: [Import.self, Export.self, Versions.self, Show.self, Diff.self, Rollback.self, Verify.self,
                      Copy.self, Views.self])

    /// Options of the commands that write a version.
    struct Authorship: ParsableArguments {
        @Option(help: "Who publishes (recorded with the version; default: $USER).") var author: String?
        @Option(help: "Why (recorded with the version).") var message: String?
        var who: String { get throws { try GridMapCLI.author(author) } }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import a data directory or a GeoPackage: a new store, or a new version of an existing one.",
            discussion: "Only what differs from the current version is recorded. Street and community shapes are "
                + "derived from the grids (the file's own are ignored).")
        @Argument(help: "A data directory laid out like data/yufeng, or a .gpkg file.") var source: String
        @Option(help: "The store (created if it does not exist).") var store: String
        @Flag(help: "Publish even when validation finds errors (recorded in the version's message).")
        var force = false
        @OptionGroup var authorship: Authorship

        func run() throws {
            do {
                let dataset =
                    source.hasSuffix(".gpkg") ? try GeoPackageFiles.read(source) : try Dataset.load(directory: source)
                let message = authorship.message ?? "imported from \(source)"
                let info: VersionInfo, report: ValidationReport
                if try Stores.exists(store) {
                    (info, report) = try Planner(store: Stores.open(store)).importVersion(
                        dataset, author: try authorship.who, message: message, force: force)
                } else {
                    let (created, checked) = try Planner.createStore(
                        path: store, from: dataset, author: try authorship.who, message: message, force: force)
                    (info, report) = (try created.version(created.head()), checked)
                }
                // A summary a person reads: at 100x the changed grids alone are a megabyte (the first 20
                // are named; `store show` lists them all).
                var summary = info.json.object ?? JSONObject()
                summary["changed_grids"] = JSONValue(info.changedGrids.count)
                summary["changed_grid_ids"] = .array(info.changedGrids.prefix(20).map { .string($0) })
                summary["validation"] = ["errors": JSONValue(report.errors.count),
                                         "warnings": JSONValue(report.findings.count - report.errors.count)]
                print(JSONValue.object(summary).serialized)
            } catch let e as PlanError where e.code == "invalid" {
                throw Failure(message: "\(e.message)\nnothing was imported: fix the file, "
                              + "or pass --force to publish it anyway")
            } catch { throw Failure(error) }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write a version as a data directory or, for a path ending in .gpkg, a GeoPackage (QGIS, GDAL).")
        @Argument(help: "Output directory, or a .gpkg file.") var output: String
        @Option(help: "A version number or an ISO 8601 date (default: the current version).") var version: String?
        @OptionGroup var options: DataOptions

        func run() throws {
            let path = try options.storeLocation()
            do {
                let store = try Stores.open(path, readOnly: true)
                let v = try version.map { try store.resolve(asOf: $0) } ?? store.head()
                let dataset = try Snapshot(dataset: try store.dataset(version: v)).dataset
                if output.hasSuffix(".gpkg") {
                    try GeoPackageFiles.write(dataset, to: output)
                } else {
                    try dataset.write(directory: output)
                }
                print("version \(v) of \(path) written to \(output)")
            } catch { throw Failure(error) }
        }
    }

    struct Versions: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "versions",
            abstract: "List the newest versions, newest first, with the current one, as JSON.")
        @Option(help: "At most this many, 1 to \(VersionsRequest.maxLimit) (default \(VersionsRequest.defaultLimit)).")
        var limit: String?
        @OptionGroup var options: DataOptions

        func run() throws {
            let limit = try integer(limit, "limit")
            let versions = try request { try VersionsRequest(limit: limit) }
            let store = try options.openStore()
            do {
                printLine(try versions.answer(store: store, current: try store.head()))
            } catch { throw Failure(error) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one version (a number, or the one live at an ISO 8601 date).")
        @Argument var version: String
        @OptionGroup var options: DataOptions

        func run() throws {
            let store = try options.openStore()
            do { printLine(try VersionRequest(version).answer(store: store)) } catch { throw Failure(error) }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "What changed between two versions, feature by feature (added, removed, attributes, area moved).")
        @Argument var from: String
        @Argument var to: String
        @OptionGroup var options: DataOptions

        func run() throws {
            let store = try options.openStore()
            do { printLine(try DiffRequest(from: from, to: to).answer(store: store)) } catch { throw Failure(error) }
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback",
            abstract: "Publish an earlier version's content as a new version (history is never rewritten).")
        @Argument var version: String
        @OptionGroup var authorship: Authorship
        @OptionGroup var options: DataOptions

        func run() throws {
            var named = NamedArguments(["version": [version]])
            if let message = authorship.message { named.values["message"] = [message] }
            try PlanCommand.send(options, author: authorship.author) { try PlanGrammar.read("rollback", named) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract:
                "Check the store: the database's own checks, the version chain, and every version read back "
                    + "with its counts.")
        @Option(help: "Read back only the versions from this one on (the chain is checked whole).")
        var from: Int = 1
        @OptionGroup var options: DataOptions

        func run() throws {
            let path = try options.storeLocation()
            do {
                let report = try Stores.open(path, readOnly: true).verify(from: from)
                print(report.serialized)
            } catch { throw Failure(error) }
        }
    }

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy a store's whole history to a new store: a file to a PostgreSQL database, or back.",
            discussion: "Every version keeps its number, time, author and message. The target must not hold a "
                + "store yet (a new file, or a database without the gridmap schema). Open drafts are not copied.")
        @Argument(help: "The store to copy: a file or a PostgreSQL URL.") var source: String
        @Argument(help: "The new store: a file or a PostgreSQL URL.") var target: String

        func run() throws {
            do {
                let report = try StoreCopy.copy(from: source, to: target) { v in
                    FileHandle.standardError.write(Data("copied version \(v.id)\n".utf8))
                }
                print(report.serialized)
            } catch { throw Failure(error) }
        }
    }

    struct Views: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "views",
            abstract: "Make PostGIS views of a PostgreSQL store's map (QGIS, ogr2ogr): the current one or a version's.",
            discussion: "The current map's views are gridmap.streets, .communities, .grids, .resources, .units, "
                + ".outline and .addresses (made at import when PostGIS is there); --version N makes the same in "
                + "the schema gridmap_vN.")
        @Option(help: "A version number (default: the current map, always up to date).") var version: Int?
        @OptionGroup var options: DataOptions

        func run() throws {
            let location = try options.storeLocation()
            guard Stores.isDatabase(location) else {
                throw Failure(message: "views are made in a PostgreSQL store (--store postgresql://…); a store file "
                              + "is read by QGIS after 'gridmap store export FILE.gpkg'")
            }
            do { print(JSONValue.array(try Stores.createViews(location, version: version).map { .string($0) })
                .serialized) } catch { throw Failure(error) }
        }
    }
}
