import ArgumentParser
import Foundation
import GridMapCore
import GridMapStores
import GridMapPlanning

struct LocateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locate",
        abstract: "Print the grid, community, street and grid workers for a point, as JSON.",
        discussion: """
            A point on a boundary shared by several grids belongs to the one with the smallest id. \
            With --input, reads CSV lines `lon,lat` (optional header; '-' for standard input) and \
            prints one JSON object per line, in order; a bad line prints {"line": N, "error": …}.
            """)

    @Argument(help: "Longitude (or x in the given CRS).") var lon: String?
    @Argument(help: "Latitude (or y in the given CRS).") var lat: String?
    @Option(help: "CRS of the input: wgs84 (the default), cgcs2000, gcj02, bd09 or EPSG:<code>.") var crs: String?
    @Option(help: "CSV file of lon,lat lines to locate in bulk ('-' for standard input).") var input: String?
    @Option(help: "Answer from the version live then: a version number or an ISO 8601 date or time.") var asof: String?
    @Option(help: "Also the nearest standard address within this many metres (e.g. 50).") var address: String?
    @OptionGroup var options: DataOptions

    func validate() throws {
        if input == nil && (lon == nil || lat == nil) { throw ValidationError("give LON LAT, or --input FILE") }
        if input != nil && lon != nil { throw ValidationError("give either LON LAT or --input, not both") }
        if input != nil && address != nil { throw ValidationError("--address is for one point, not --input") }
    }

    func run() throws {
        if let input {
            let crs: CRS
            do { crs = try PointQuery(lon: 0, lat: 0, crs: self.crs).crs() } catch { throw Failure(error) }
            try bulk(input, crs: crs, snapshot: try snapshot())
            return
        }
        let address = try number(address, "address")
        let locate = try request {
            try LocateRequest(try PointQuery(lon: lon, lat: lat, crs: crs, asOf: asof), address: address)
        }
        let path = try options.storeLocation()
        do { printLine(try locate.answer(storeLocation: path)) } catch { throw Failure(error) }
    }

    private func snapshot() throws -> Snapshot {
        guard let asof else { return try options.snapshot() }
        let path = try options.storeLocation()
        do {
            return try Snapshot.load(store: path, version: try Stores.open(path, readOnly: true).resolve(asOf: asof))
        } catch { throw Failure(error) }
    }

    private func bulk(_ path: String, crs: CRS, snapshot: Snapshot) throws {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let d = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read \(path)")
            }
            data = d
        }
        let text = String(decoding: data, as: UTF8.self)
        var parsed: [(line: Int, raw: Coordinate?, point: Coordinate?, error: String?)] = []
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            // One record per line: a lon,lat file has no quoted newlines, and a bad line is
            // reported on its own while the others are answered.
            let fields: [String]
            do {
                fields = (try CSV.parse(trimmed).first?.fields ?? []).map { $0.trimmingCharacters(in: .whitespaces) }
            } catch {
                parsed.append((k + 1, nil, nil, (error as? CSV.ParseError)?.message ?? "\(error)"))
                continue
            }
            if k == 0 && fields.count >= 2 && parseDecimal(fields[0]) == nil && parseDecimal(fields[1]) == nil {
                continue  // a header
            }
            guard fields.count >= 2 else {
                parsed.append((k + 1, nil, nil, "expected 'lon,lat' numbers, got '\(trimmed.prefix(80))'"))
                continue
            }
            // Each point read and converted as every skin's are (`PointQuery`), with its messages.
            do {
                let query = try PointQuery(lon: fields[0], lat: fields[1], crs: self.crs)
                parsed.append((k + 1, query.input, try query.wgs84(), nil))
            } catch {
                parsed.append((k + 1, nil, nil, error.errorMessage))
            }
        }
        let found = snapshot.locateMany(parsed.map { $0.point ?? Coordinate(.nan, .nan) })
        let out = Output()
        for (entry, grid) in zip(parsed, found) {
            if let error = entry.error {
                out.line(JSONValue.object(["line": JSONValue(entry.line), "error": .string(error)]).serialized)
            } else {
                out.line(snapshot.locationText(grid: grid, point: entry.point!, input: entry.raw, crs: crs))
            }
        }
        out.flush()
    }
}
