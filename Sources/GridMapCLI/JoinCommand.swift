#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import ArgumentParser
import Foundation
import GridMapCore
import GridMapJoin
import Synchronization
import GridMapStores
import GridMapPlanning

struct JoinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join a CSV export of any columns to the grids: every row kept, the grid columns appended.",
        discussion: """
            Reads CSV with a header (RFC 4180: quoted fields, a UTF-8 BOM, CRLF) and writes it back with \
            the grid, community and street of each row's point appended, in input order, on every core. \
            Points in no grid keep empty columns. A row that cannot be assigned (no coordinates, not \
            numbers, out of range, an address not found, bad quoting) goes to the reject file with its \
            line number, reason and text. Exit status: 0, or 3 when rows were rejected.
            """)

    @Argument(help: "CSV file to read ('-' for standard input).") var input: String
    @Option(name: .shortAndLong, help: "Where to write (default: standard output).") var output: String?
    @Option(help: ArgumentHelp(
        "Where rejected rows go (default: OUTPUT.rejects.csv, else INPUT.rejects.csv, else standard error)."))
    var rejects: String?
    @Option(help: "Output format: csv or jsonl (JSON Lines).") var format: String = "csv"
    @Option(help: "Longitude column (default: lon, lng, longitude, long, x or 经度).") var lon: String?
    @Option(help: "Latitude column (default: lat, latitude, y or 纬度).") var lat: String?
    @Option(help: "Geocode this column of typed addresses instead of reading coordinates.") var address: String?
    @Option(help: "CRS of the coordinates: wgs84, cgcs2000, gcj02, bd09 or EPSG:<code>.") var crs = "wgs84"
    @Option(help: ArgumentHelp(
        "Columns to append, comma-separated (default: grid_id,grid_name,community_id,street_id; with --address "
            + "also wgs84_lon,wgs84_lat). Also: community_name, street_name, workers, worker_phones, version."))
    var columns: String?
    @Option(help: "A column of dates or times: each row is assigned in the version live on its date.")
    var date: String?
    @Option(help: "Assign every row in the version live then: a version number or an ISO 8601 date or time.")
    var asof: String?
    @Option(help: ArgumentHelp(
        "A column of categories (code or name, see categories.csv): append each row's route, "
            + JoinRequest.routeColumns.joined(separator: ",") + "."))
    var category: String?
    @Flag(help: "No progress on standard error (progress shows only on a terminal anyway).") var quiet = false
    @OptionGroup var options: DataOptions

    func validate() throws {
        if address != nil && (lon != nil || lat != nil) { throw ValidationError("give --address or --lon/--lat") }
        if date != nil && asof != nil { throw ValidationError("give --date (per row) or --asof (one version)") }
        guard JoinFormat(rawValue: format) != nil else { throw ValidationError("--format is csv or jsonl") }
    }

    func run() throws {
        var request: JoinRequest
        do {
            request = JoinRequest(
                source: address.map { .address($0) } ?? .coordinates(lon: lon, lat: lat),
                crs: try CRS(parsing: crs), columns: try columns.map { try JoinColumn.list($0) },
                format: JoinFormat(rawValue: format)!, dateColumn: date, categoryColumn: category)
        } catch { throw ValidationError("\(error)") }
        let maps: JoinMaps
        do {
            let path = try options.storeLocation()
            if date != nil {
                maps = try JoinMaps(store: path, columns: request.columns, routed: category != nil)
            } else {
                let version = try asof.map { try Stores.open(path, readOnly: true).resolve(asOf: $0) }
                maps = JoinMaps(snapshot: try Snapshot.load(store: path, version: version), columns: request.columns,
                                routed: category != nil)
            }
        } catch { throw Failure(error) }
        request.dateColumn = date
        let inputFD = try open(input, forWriting: false)
        defer { if inputFD != 0 { close(inputFD) } }
        let outputFD = try output.map { try open($0, forWriting: true) } ?? 1
        defer { if outputFD != 1 { close(outputFD) } }
        let rejectPath = rejects ?? output.map { $0 + ".rejects.csv" } ?? (input == "-" ? nil : input + ".rejects.csv")
        let rejectFile = LazyFile(path: rejectPath)
        let progress = ProgressLine(enabled: !quiet && isatty(2) == 1)
        var size: Int64?
        var info = stat()
        if fstat(inputFD, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { size = Int64(info.st_size) }
        let summary: JoinSummary
        do {
            summary = try BulkJoin.run(
                request, maps: maps, input: inputFD, size: size,
                sinks: .init(output: { try writeAll(outputFD, $0) }, rejects: { try rejectFile.write($0) },
                             progress: { progress.show($0.text) }))
        } catch {
            progress.clear()
            throw Failure(error)
        }
        progress.clear()
        var text = summary.description
        if summary.rejected > 0 { text += "\n  rejected rows are in \(rejectPath ?? "standard error (above)")" }
        FileHandle.standardError.write(Data((text + "\n").utf8))
        if summary.rejected > 0 { throw ExitCode(3) }
    }

    private func open(_ path: String, forWriting: Bool) throws -> Int32 {
        if path == "-" { return forWriting ? 1 : 0 }
        let fd = forWriting ? Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644) : Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(JoinError("cannot open \(path): \(String(cString: strerror(errno)))")) }
        return fd
    }
}

/// Writes all of `bytes`, whatever `write` takes at a time.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            throw JoinError("cannot write: \(String(cString: strerror(errno)))")
        }
        done += n
    }
}

/// A file opened on its first write (standard error when no path is given): a join with no
/// rejected row leaves no reject file behind.
final class LazyFile: Sendable {
    private let path: String?
    private let fd = Mutex<Int32?>(nil)

    init(path: String?) { self.path = path }
    deinit { if let f = fd.withLock({ $0 }), f > 2 { close(f) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        let f = try fd.withLock { fd in
            if let fd { return fd }
            guard let path else { fd = 2; return 2 }
            let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard opened >= 0 else { throw JoinError("cannot open \(path): \(String(cString: strerror(errno)))") }
            fd = opened
            return opened
        }
        try writeAll(f, bytes)
    }
}

/// One line of progress on a terminal's standard error, redrawn at most twice a second.
final class ProgressLine: Sendable {
    private let enabled: Bool
    private let last = Mutex<UInt64>(0)

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ text: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard last.withLock({ t in now - t >= 500_000_000 ? { t = now; return true }() : false }) else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    func clear() { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}
