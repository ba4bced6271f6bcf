import Foundation
import Testing
import GridMapCore
import GridMapTestSupport
import GridMapSQLite
import GridMapPostgres
import GridMapStores
import GridMapPlanning

/// Runs `gridmap` from the build directory (beside this test bundle).
func gridmap(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, out: String, err: String) {
    let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
        "gridmap")
    let candidates = [
        bin.path, Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("gridmap").path,
        Bundle.main.bundleURL.appendingPathComponent("gridmap").path,
    ]
    guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates.joined(separator: ", ")])
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    p.currentDirectoryURL = URL(fileURLWithPath: root)
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}


func json(_ text: String) throws -> JSONValue {
    try JSONParser.parse(text.trimmingCharacters(in: .whitespacesAndNewlines))
}

@Suite struct CLITests {
    @Test func locatePrintsGridCommunityStreetAndWorkers() throws {
        let data = try Dataset.load(directory: root + "/data/yufeng")
        let address = data.addresses[100]
        let r = try gridmap(["locate", "\(address.location.x)", "\(address.location.y)"])
        #expect(r.status == 0)
        let o = try json(r.out)
        #expect(o["grid"]?["id"]?.string == address.gridID)
        #expect(o["community"]?["name"]?.string == address.community)
        #expect(o["street"]?["name"]?.string == address.street)
        #expect((o["workers"]?.array?.count ?? 0) >= 1)
        #expect(o["workers"]?.array?.first?["contact"]?.string?.count == 11)
        #expect(o["point"]?["lon"]?.number == address.location.x)
        #expect(Int(o["data_version"]?.string ?? "") != nil)  // the store's version number
    }

    @Test func locateAcceptsGCJ02AndBD09() throws {
        let w = Coordinate(109.43, 24.30)
        let gcj = ChinaOffsets.wgs84ToGCJ02(w), bd = ChinaOffsets.wgs84ToBD09(w)
        let plain = try json(gridmap(["locate", "109.43", "24.30"]).out)
        let viaGCJ = try json(gridmap(["locate", "\(gcj.x)", "\(gcj.y)", "--crs", "gcj02"]).out)
        let viaBD = try json(gridmap(["locate", "\(bd.x)", "\(bd.y)", "--crs", "bd09"]).out)
        #expect(viaGCJ["grid"] == plain["grid"] && viaBD["grid"] == plain["grid"])
        #expect(viaGCJ["input"]?["crs"]?.string == "gcj02")
        // Read as WGS 84, the GCJ-02 position is hundreds of metres off: another grid.
        let wrong = try json(gridmap(["locate", "\(gcj.x)", "\(gcj.y)"]).out)
        #expect(wrong["grid"] != plain["grid"])
    }

    @Test func outsideTheDistrictIsNullNotAnError() throws {
        let r = try gridmap(["locate", "116.4", "39.9"])
        #expect(r.status == 0)
        let o = try json(r.out)
        #expect(o["grid"] == .null && o["street"] == .null && o["workers"] == .array([]))
    }

    @Test func badInputFailsWithAClearMessage() throws {
        let notNumber = try gridmap(["locate", "abc", "24.3"])
        #expect(notNumber.status != 0 && notNumber.err.contains("longitude 'abc' is not a number"))
        let range = try gridmap(["locate", "109.4", "95"])
        #expect(range.status != 0 && range.err.contains("latitude 95.0 is outside"))
        let crs = try gridmap(["locate", "109.4", "24.3", "--crs", "utm"])
        #expect(crs.status != 0 && crs.err.contains("unknown CRS 'utm'"))
        let missing = try gridmap(["locate", "109.4", "24.3", "--data", "/nonexistent"])
        #expect(missing.status != 0 && missing.err.contains("/nonexistent/outline.geojson: file not found"))
    }

    @Test func bulkLocateKeepsOrderAndReportsBadLines() throws {
        let input = "lon,lat\n109.43,24.30\nnot,a number\n116.4,39.9\n109.43,200\n109.45,24.28\n"
            + "\"109.44\",\"24.29\"\n\"109.4,24.3\n"  // quoted fields (CSV), then an unterminated quote
        let r = try gridmap(["locate", "--input", "-"], stdin: input)
        #expect(r.status == 0)
        let lines = try r.out.split(separator: "\n").map { try json(String($0)) }
        #expect(lines.count == 7)
        #expect(lines[0]["grid"]?["id"] != nil && lines[0]["grid"] != .null)
        #expect(lines[1]["line"] == 3 && lines[1]["error"]?.string == "longitude 'not' is not a number")
        #expect(lines[2]["grid"] == .null)
        #expect(lines[3]["line"] == 5 && lines[3]["error"]?.string?.contains("latitude") == true)
        #expect(lines[4]["point"]?["lon"] == 109.45)
        #expect(lines[5]["point"]?["lon"] == 109.44 && lines[5]["grid"] != .null)
        #expect(lines[6]["line"] == 8 && lines[6]["error"]?.string?.contains("quote") == true)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gridmap-bulk-\(UUID().uuidString).csv"
        ).path
        try input.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try gridmap(["locate", "--input", file]).out == r.out)
    }

    @Test func convertBetweenFrames() throws {
        let r = try gridmap(["convert", "116.404", "39.915", "--from", "gcj02", "--to", "bd09"])
        #expect(r.status == 0)
        let parts = r.out.split(separator: " ").compactMap {
            Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(
            parts.count == 2 && abs(parts[0] - 116.41036949371029) < 1e-9 && abs(parts[1] - 39.92133699351021) < 1e-9)
        let gk = try gridmap(["convert", "109.43", "24.3", "--from", "wgs84", "--to", "EPSG:4545"])
        #expect(gk.status == 0 && gk.out.hasPrefix("64"))
        let bad = try gridmap(["convert", "1", "2", "--from", "EPSG:0", "--to", "wgs84"])
        #expect(bad.status != 0)
    }

    @Test func nearbyListsResourcesByDistance() throws {
        let r = try gridmap(["nearby", "109.43", "24.30", "--kind", "enforcement", "--limit", "3"])
        #expect(r.status == 0)
        let list = try json(r.out)["resources"]?.array ?? []
        #expect(list.count == 3)
        let d = list.compactMap { $0["distance_m"]?.number }
        #expect(d == d.sorted() && list.allSatisfy { $0["kind"] == "enforcement" })
        let bad = try gridmap(["nearby", "109.43", "24.30", "--kind", "dragons"])
        #expect(bad.status != 0 && bad.err.contains("unknown kind 'dragons'"))
        // The server's defaults and limits (one definition, `NearbyRequest`).
        let tooMany = try gridmap(["nearby", "109.43", "24.30", "--limit", "5000"])
        #expect(tooMany.status != 0 && tooMany.err.contains("limit must be 1 to 1000"))
        let within = try gridmap(["nearby", "109.43", "24.30", "--radius", "3000"])
        #expect(try json(within.out)["resources"]?.array?.count == NearbyRequest.defaultLimitWithinRadius)
    }
}

@Suite struct GeocodeCLITests {
    @Test func geocodeOneAndInBulk() throws {
        let data = try Dataset.load(directory: root + "/data/yufeng")
        let a = data.addresses[1234]
        let building = a.compound.isEmpty ? "" : a.compound + a.building + "栋" + a.unit + "单元"
        let r = try gridmap(["geocode", "柳州市 " + a.road + a.number + "号" + building])
        #expect(r.status == 0)
        #expect(try json(r.out)["candidates"]?.array?.first?["address_id"]?.string == a.id)
        let bulk = try gridmap(
            ["geocode", "--input", "-", "--limit", "1"], stdin: "\(a.road)\(a.number)号\n\n火星路1号\n\(a.road)\n")
        let lines = try bulk.out.split(separator: "\n").map { try json(String($0)) }
        #expect(lines.count == 3)
        #expect(lines[0]["match"] == "address" && lines[1]["match"] == "none" && lines[2]["match"] == "road")
        #expect(try gridmap(["geocode"]).status != 0)
        let tooMany = try gridmap(["geocode", a.road, "--limit", "0"])
        #expect(tooMany.status != 0 && tooMany.err.contains("limit must be 1 to 100"))
    }
}

@Suite struct JoinCLITests {
    /// A real export as a user hands it over: a BOM, CRLF, quoted fields, a bad row; through
    /// standard input, to a file, with the rejects beside it and exit status 3.
    @Test func joinKeepsColumnsWritesRejectsAndSaysSoInItsStatus() throws {
        let data = try Dataset.load(directory: root + "/data/yufeng")
        let a = data.addresses[300], b = data.addresses[301]
        let dir = NSTemporaryDirectory() + "/gridmap-join-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = "\u{FEFF}case_id,desc,lng,latitude\r\n"
            + "1,\"积水, \"\"严重\"\"\",\(a.location.x),\(a.location.y)\r\n2,x,N/A,24.3\r\n3,far,100,20\r\n"
            + "4,\"两\nline\",\(b.location.x),\(b.location.y)\r\n"
        let r = try gridmap(["join", "-", "-o", dir + "/out.csv"], stdin: csv)
        #expect(r.status == 3 && r.out.isEmpty)
        #expect(r.err.contains("4 rows read") && r.err.contains("rejected 1") && r.err.contains("outside every grid 1"))
        let out = try String(contentsOfFile: dir + "/out.csv", encoding: .utf8)
        #expect(out == "case_id,desc,lng,latitude,grid_id,grid_name,community_id,street_id\r\n"
                + "1,\"积水, \"\"严重\"\"\",\(a.location.x),\(a.location.y),\(a.gridID),\(name(a.gridID, data)),"
                + "\(community(a.gridID, data)),\(street(a.gridID, data))\r\n"
                + "3,far,100,20,,,,\r\n"
                + "4,\"两\nline\",\(b.location.x),\(b.location.y),\(b.gridID),\(name(b.gridID, data)),"
                + "\(community(b.gridID, data)),\(street(b.gridID, data))\r\n")
        let rejects = try String(contentsOfFile: dir + "/out.csv.rejects.csv", encoding: .utf8)
        #expect(rejects == "line,reason,text\n3,longitude 'N/A' is not a number,\"2,x,N/A,24.3\"\n")

        let clean = try gridmap(["join", "-", "--format", "jsonl", "--columns", "grid_id"],
                                stdin: "lon,lat\n\(a.location.x),\(a.location.y)\n")
        #expect(clean.status == 0)
        #expect(try json(clean.out)["grid_id"]?.string == a.gridID)
        let missing = try gridmap(["join", "-"], stdin: "a,b\n1,2\n")
        #expect(missing.status == 65 && missing.err.contains("no longitude column"))
    }

    private func name(_ grid: String, _ d: Dataset) -> String { d.grids.first { $0.id == grid }!.name }
    private func community(_ grid: String, _ d: Dataset) -> String { d.grids.first { $0.id == grid }!.communityID }
    private func street(_ grid: String, _ d: Dataset) -> String { d.grids.first { $0.id == grid }!.streetID }

    /// A one-off lookup answers from the version's prepared index once the first has made it,
    /// byte for byte as the full version does.
    @Test func oneOffLookupsAnswerFromThePreparedVersion() throws {
        let dir = NSTemporaryDirectory() + "/gridmap-prepared-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/s.gridmap"
        try SQLiteStore.create(path: store, from: try Dataset.load(directory: root + "/data/yufeng"), author: "t",
                            message: "t")
        #expect(try PreparedLookup.load(store: SQLiteStore(path: store, readOnly: true), version: 1) == nil)
        let queries = [["109.43", "24.30"], ["109.43", "24.30", "--crs", "gcj02"], ["100", "20"],
                       ["109.4500001", "24.2799999", "--asof", "1"]]
        let first = try queries.map { try gridmap(["locate", "--store", store] + $0) }
        #expect(try PreparedLookup.load(store: SQLiteStore(path: store, readOnly: true), version: 1) != nil)
        let again = try queries.map { try gridmap(["locate", "--store", store] + $0) }
        #expect(first.map(\.out) == again.map(\.out) && first.allSatisfy { $0.status == 0 })
        #expect(try json(again[0].out)["grid"]?["id"]?.string != nil && json(again[2].out)["grid"] == .null)
    }
}
