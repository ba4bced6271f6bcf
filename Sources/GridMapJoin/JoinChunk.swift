import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// A row that could not be assigned: where it starts (line breaks before it in its chunk), why,
/// and its text as it was.
package struct JoinReject: Sendable {
    package let line: Int
    package let reason: String
    package let text: [UInt8]
}

/// What one chunk of rows came to: its output, in input order, and its counts.
package struct JoinChunkResult: Sendable {
    package var output: [UInt8] = []
    package var rejects: [JoinReject] = []
    package var newlines = 0, rows = 0, assigned = 0, outside = 0
    /// Rows per street id (with its name), for the summary.
    package var streets: [String: (name: String, rows: Int)] = [:]
}

/// What every chunk of one join shares: the request as resolved against the header.
package struct JoinContext: Sendable {
    package let request: JoinRequest
    package let plan: JoinPlan
    package let maps: JoinMaps
    package let geocoder: Geocoder?
    /// `"name":` of each input column, for JSON Lines.
    package let keys: [[UInt8]]
    /// The line ending of the output (the input header's).
    package let lineEnd: [UInt8]
}

/// Parses, locates and writes one chunk of whole records. Runs on any thread; several at once.
package struct JoinChunk {
    package let context: JoinContext
    private var scanner = CSVScanner()
    private var result = JoinChunkResult()
    /// Rows kept, in order, and each one's point and map (index into `maps`).
    private var rows: [Row] = []
    private var points: [Coordinate] = []
    private var maps: [(map: JoinMap, gridRows: [Int])] = []

    /// A kept row: where it is in the chunk, its field count, its map (index into `maps`) and
    /// its category (index into the map's `routes`; -1 when the join does not route).
    private struct Row {
        let start: Int, end: Int, fields: Int, map: Int, category: Int
    }

    /// The request's settings read once, not per row (each read of `context.request` would
    /// retain and release its strings and arrays).
    private let plan: JoinPlan
    private let byAddress: Bool, dated: Bool, csv: Bool, routed: Bool
    private let crs: CRS
    private let segments: [JoinLayout.Segment]

    package init(_ context: JoinContext) {
        self.context = context
        plan = context.plan
        if case .address = context.request.source { byAddress = true } else { byAddress = false }
        dated = context.maps.isDated
        csv = context.request.format == .csv
        routed = context.plan.category >= 0
        crs = context.request.crs
        segments = context.maps.layout.segments
    }

    package static func process(_ chunk: [UInt8], _ context: JoinContext) -> JoinChunkResult {
        var worker = JoinChunk(context)
        chunk.withUnsafeBytes { worker.run($0) }
        return worker.result
    }

    private mutating func run(_ bytes: UnsafeRawBufferPointer) {
        rows.reserveCapacity(bytes.count / 64)
        points.reserveCapacity(bytes.count / 64)
        var at = 0
        while at < bytes.count {
            let r = scanner.record(bytes, from: at, atEnd: true)!
            defer { at = r.next; result.newlines += r.newlines }
            if r.end == r.start && r.problem == .none { continue }  // a blank line is no row
            result.rows += 1
            let reason: String? = r.problem != .none ? r.problem.reason : accept(r, bytes)
            if let reason {
                result.rejects.append(JoinReject(line: result.newlines, reason: reason,
                                                 text: Array(bytes[r.start..<r.end])))
            }
        }
        let grids = locate()
        result.output.reserveCapacity(bytes.count + bytes.count / 2)
        for m in maps.indices {
            let map = maps[m].map
            let fragments = csv ? map.csv : map.json
            var counts = maps[m].gridRows
            maps[m].gridRows = []
            for (k, row) in rows.enumerated() where row.map == m {
                let g = grids[k] < 0 ? map.outside : Int(grids[k])
                counts[g] += 1
                write(row, bytes, grid: g, outside: map.outside, fragments: fragments, routes: map.routes,
                      point: points[k])
            }
            maps[m].gridRows = counts
        }
        for (map, counts) in maps {
            for (g, n) in counts.enumerated() where n > 0 {
                if g == map.outside { result.outside += n; continue }
                result.assigned += n
                let s = map.streetOfGrid[g]
                let (id, name) = s < 0 ? ("", "") : map.streets[Int(s)]
                result.streets[id, default: (name, 0)].rows += n
            }
        }
    }

    /// Reads the row's point (and map); nil when kept, else why it is rejected.
    private mutating func accept(_ r: CSVScanner.Record, _ bytes: UnsafeRawBufferPointer) -> String? {
        let fields = scanner.fieldCount
        if fields > plan.fieldCount { return "the row has \(fields) fields, the header \(plan.fieldCount)" }
        let point: Coordinate
        if !byAddress {
            guard plan.lon < fields, plan.lat < fields else {
                return "no coordinates: the row has \(fields) of the header's \(plan.fieldCount) fields"
            }
            guard let x = number(plan.lon, bytes) else { return notNumber("longitude", plan.lon, bytes) }
            guard let y = number(plan.lat, bytes) else { return notNumber("latitude", plan.lat, bytes) }
            if crs == .wgs84 {
                guard (-180...180).contains(x) else { return "longitude \(x) is outside -180…180" }
                guard (-90...90).contains(y) else { return "latitude \(y) is outside -90…90" }
                point = Coordinate(x, y)
            } else {
                do {
                    point = try ThreadResources.current.converter.toWGS84(Coordinate(x, y), from: crs)
                } catch { return "\(error)" }
            }
        } else {
            guard plan.address < fields else { return "no address: the row has \(fields) fields" }
            switch geocode(scanner.string(plan.address, in: bytes)) {
            case .success(let p): point = p
            case .failure(let e): return e.description
            }
        }
        let map: JoinMap
        if dated {
            guard plan.date < fields else { return "no date: the row has \(fields) fields" }
            let text = scanner.bare(plan.date, in: bytes)
            guard let ms = AsOf.milliseconds(text) else {
                return "date '\(String(decoding: text.prefix(40), as: UTF8.self))' is not a date or time"
            }
            guard let v = context.maps.version(at: ms) else {
                return "no version was live at \(String(decoding: text, as: UTF8.self)): "
                    + "the first was published at \(VersionInfo.iso(context.maps.firstPublished ?? 0))"
            }
            do { map = try context.maps.map(version: v) } catch { return "version \(v) cannot be read: \(error)" }
        } else {
            map = context.maps.only
        }
        var category = -1
        if routed {
            guard let routes = map.routes else { return "this row's version has no category catalogue to route by" }
            guard plan.category < fields else { return "no category: the row has \(fields) fields" }
            let text = scanner.bare(plan.category, in: bytes)
            guard !text.isEmpty else { return "no category" }
            guard let c = routes.category(text) else {
                return "unknown category '\(String(decoding: text.prefix(40), as: UTF8.self))' (neither a code nor a "
                    + "name in the catalogue)"
            }
            category = c
        }
        let m = maps.firstIndex { $0.map === map } ?? {
            maps.append((map, [Int](repeating: 0, count: map.outside + 1)))
            return maps.count - 1
        }()
        rows.append(Row(start: r.start, end: r.end, fields: fields, map: m, category: category))
        points.append(point)
        return nil
    }

    private func number(_ k: Int, _ bytes: UnsafeRawBufferPointer) -> Double? {
        let text = scanner.bare(k, in: bytes)
        if let v = exactDecimal(text) { return v }
        return parseDecimal(String(decoding: text, as: UTF8.self))
    }

    private func notNumber(_ what: String, _ k: Int, _ bytes: UnsafeRawBufferPointer) -> String {
        let text = scanner.string(k, in: bytes).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "no coordinates: the \(what) is empty" : "\(what) '\(text.prefix(40))' is not a number"
    }

    private func geocode(_ text: String) -> Result<Coordinate, JoinError> {
        do {
            switch try context.geocoder!.geocode(text, limit: 1) {
            case .addresses(let found):
                guard let best = found.first else { return .failure(JoinError("address not found")) }
                return .success(best.point)
            case .place(let place, _):
                return .failure(JoinError("names \(place.kind) '\(place.name)' as a whole, not one address"))
            case .none(let reason):
                return .failure(JoinError("address not found: \(reason)"))
            }
        } catch { return .failure(JoinError("address not geocoded: \(error)")) }
    }

    /// The grid of each kept row (-1 for none): one map's rows in one pipelined pass.
    private func locate() -> [Int32] {
        var out = [Int32](repeating: -1, count: points.count)
        if maps.count == 1 {
            let index = maps[0].map.grids
            points.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { index.locate(p, into: $0) } }
        } else {
            for (k, row) in rows.enumerated() { out[k] = Int32(maps[row.map].map.grids.locate(points[k]) ?? -1) }
        }
        return out
    }

    private mutating func write(_ row: Row, _ bytes: UnsafeRawBufferPointer, grid g: Int, outside: Int,
                                fragments: [PackedBytes], routes: JoinRoutes?, point: Coordinate) {
        if csv {
            result.output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[row.start..<row.end]))
            // A short row is padded, so the appended columns stay under their header.
            for _ in row.fields..<plan.fieldCount { result.output.append(CSVScanner.comma) }
        } else {
            _ = scanner.record(bytes, from: row.start, atEnd: true)
            result.output.append(UInt8(ascii: "{"))
            for k in 0..<plan.fieldCount {
                if k > 0 { result.output.append(CSVScanner.comma) }
                result.output.append(contentsOf: context.keys[k])
                if k < row.fields {
                    JSONValue.appendString(scanner.string(k, in: bytes), to: &result.output)
                } else {
                    result.output.appendText("null")
                }
            }
        }
        var run = 0
        for segment in segments {
            switch segment {
            case .grid:
                fragments[run].append(g, to: &result.output)
                run += 1
            case .row(let column):
                result.output.append(CSVScanner.comma)
                if !csv {
                    JSONValue.appendString(column.rawValue, to: &result.output)
                    result.output.append(UInt8(ascii: ":"))
                }
                JSONValue.appendNumber(column == .wgs84Lon ? point.x : point.y, to: &result.output)
            }
        }
        if routed, let routes {
            // A point in no grid is outside the district: nobody's route, like its grid columns.
            if g == outside {
                result.output.append(contentsOf: csv ? routes.blankCSV : routes.blankJSON)
            } else {
                routes.append(row.category, at: point, csv: csv, to: &result.output)
            }
        }
        if !csv { result.output.append(UInt8(ascii: "}")) }
        result.output.append(contentsOf: context.lineEnd)
    }
}
