import Foundation
import GridMapCore
import GridMapStore
import GridMapStores
import GridMapTestSupport
import Testing

/// `gridmap cases import` / `export` and `gridmap case …`: historic cases stamped with the map
/// as of their report times, their events appended with their own times through the stage
/// machine, refused rows named by line, an import run twice making nothing twice, and an
/// export imported into another store exported again byte for byte.
@Suite struct CaseTransferTests {
    static let point = (lon: "109.4200897", lat: "24.3072275")

    static func newStore(_ dir: String, _ name: String) throws -> String {
        let path = dir + "/" + name + ".gridmap"
        try Stores.create(path, from: try Dataset.load(directory: root + "/data/yufeng"), author: "t",
                               message: "t")
        return path
    }

    @Test func historicCasesInAndOut() throws {
        let dir = NSTemporaryDirectory() + "/gridmap-transfer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Self.newStore(dir, "a")
        // Version 2 published a moment after `between`: a case reported then is stamped on version 1.
        Thread.sleep(forTimeInterval: 1.2)
        let between = CaseCoding.chinaTime(Clock.nowMs)
        Thread.sleep(forTimeInterval: 1.2)
        let s = try Stores.open(store)
        let grid = "450203001001002"
        let row = try #require(try s.content(version: 1, addresses: false).layers[.grids]?[grid] ?? nil)
        var props = try #require(try JSONParser.parse(row.props).object)
        props["name"] = .string("改名")
        var changes = ChangeSet()
        changes.features[.grids] = [grid: FeatureRow(props: JSONValue.object(props).serialized, geom: row.geom)]
        try s.publish(changes, parent: 1, author: "t", message: "rename")
        Thread.sleep(forTimeInterval: 1.2)
        let after = CaseCoding.chinaTime(Clock.nowMs)
        let (lon, lat) = Self.point
        let csv = [
            "key,at,action,lon,lat,crs,category,source,description,note,unit,due,account,role,duplicate_of",
            "h1,2021-03-01T09:00:00+08:00,report,\(lon),\(lat),,0101,hotline,\"路边垃圾，\"\"很多\"\"\",,,,张三,reporter,",
            "h1,2021-03-01T09:30:00+08:00,accept,,,,,,,,,,调度甲,dispatcher,",
            "h1,2021-03-01T10:00:00+08:00,dispatch,,,,,,,,,,调度甲,dispatcher,",
            "h1,2021-03-01T12:00:00+08:00,handle,,,,,,,已清运,,,中队,unit,",
            "h1,2021-03-01T13:00:00+08:00,fail,,,,,,,\"仍有垃圾,返工\",,,调度甲,dispatcher,",
            "h1,2021-03-01T15:00:00+08:00,handle,,,,,,,再次清运,,,中队,unit,",
            "h1,2021-03-01T16:00:00+08:00,pass,,,,,,,,,,调度甲,dispatcher,",
            "h2,\(between),report,\(lon),\(lat),,0201,resident,井盖松动,,,,,,",
            "h3,\(after),,\(lon),\(lat),,0101,,同一堆垃圾,,,,,,",
            "h3,\(after),void,,,,,,,重复上报,,,调度甲,dispatcher,h2",
            "h4,2021-03-02T09:00:00+08:00,report,\(lon),\(lat),,9999,hotline,没有这个类别,,,,,,",
            "h4,2021-03-02T10:00:00+08:00,accept,,,,,,,,,,,,",
            "h2,2020-01-01T00:00:00+08:00,accept,,,,,,,,,,,,",
            "h1,2021-03-01T17:00:00+08:00,handle,,,,,,,结案后不能处置,,,,,",
        ].joined(separator: "\n") + "\n"
        let file = dir + "/history.csv"
        try csv.write(toFile: file, atomically: true, encoding: .utf8)
        let first = try gridmap(["cases", "import", file, "--store", store])
        let outcome = try json(first.out)
        #expect(first.status == 3, "refused rows make a non-zero exit: \(first.err)")
        #expect(outcome["cases"] == 3 && outcome["events"] == 7 && outcome["existing"] == 0, "\(outcome)")
        #expect(outcome["stamped_on_earliest_version"] == 1, "only h1 is older than the store")
        let refused = outcome["refused"]?.array?.map { "\($0["line"]?.int ?? 0) \($0["code"]?.string ?? "")" }
        #expect(refused == ["12 unknown_category", "13 unknown_case", "14 bad_time", "15 action_not_allowed"],
                "\(outcome)")

        func get(_ id: Int) throws -> JSONValue {
            try json(try gridmap(["case", "get", "\(id)", "--store", store]).out)
        }
        let h1 = try get(1), h2 = try get(2), h3 = try get(3)
        #expect(h1["stage"] == "closed" && h1["reworks"] == 1 && h1["history"]?.array?.count == 7, "\(h1)")
        #expect(h1["reported_at"] == "2021-03-01T09:00:00+08:00" && h1["closed_at"] == "2021-03-01T16:00:00+08:00")
        #expect(h1["description"] == "路边垃圾，\"很多\"" && h1["source"] == "hotline")
        #expect(h1["history"]?.array?[4]["note"] == "仍有垃圾,返工" && h1["history"]?.array?[3]["account"] == "中队")
        #expect(h1["stamp"]?["version"] == 1 && h2["stamp"]?["version"] == 1 && h3["stamp"]?["version"] == 2,
                "each stamped with the map as of its report time")
        #expect(h3["stage"] == "voided" && h3["history"]?.array?.last?["duplicate_of"] == 2, "\(h3)")

        // Run again: nothing twice.
        let again = try json(try gridmap(["cases", "import", file, "--store", store]).out)
        #expect(again["cases"] == 0 && again["events"] == 0 && again["existing"] == 3, "\(again)")

        // Out and in again: the same rows.
        let exported = try gridmap(["cases", "export", "--store", store])
        // A header, seven rows of h1, h2, two of h3.
        #expect(exported.status == 0 && exported.out.split(separator: "\n").count == 1 + 7 + 1 + 2, "\(exported.out)")
        let other = try Self.newStore(dir, "b")
        let copy = dir + "/export.csv"
        try exported.out.write(toFile: copy, atomically: true, encoding: .utf8)
        let into = try json(try gridmap(["cases", "import", copy, "--store", other]).out)
        #expect(into["cases"] == 3 && into["events"] == 7 && into["refused_count"] == 0, "\(into)")
        #expect(try gridmap(["cases", "export", "--store", other]).out == exported.out)
        let since = try gridmap(["cases", "export", "--from", "2022-01-01", "--store", store]).out
        #expect(since.split(separator: "\n").count == 1 + 1 + 2, "\(since)")

        // One case by hand, and the list.
        let made = try json(try gridmap(["case", "report", lon, lat, "0101", "--description", "又有垃圾",
                                         "--account", "值班员", "--store", store]).out)
        let id = try #require(made["id"]?.int)
        let accepted = try json(try gridmap(["case", "act", "\(id)", "立案", "--expect", "1", "--store", store]).out)
        #expect(accepted["stage"] == "accepted" && accepted["history"]?.array?.last?["account"] == "cli")
        let stale = try gridmap(["case", "act", "\(id)", "dispatch", "--expect", "1", "--store", store])
        #expect(stale.status != 0 && stale.err.contains("stale_case"), "\(stale.err)")
        let open = try json(try gridmap(["cases", "list", "stage=accepted", "--store", store]).out)
        #expect(open["cases"]?.array?.compactMap { $0["id"]?.int } == [id], "\(open)")
    }

    /// A large file is read a piece at a time: the pieces hold whole records (a quoted field's
    /// line breaks stay with it) and carry their line numbers, whatever the read sizes.
    @Test func piecesKeepRecordsWhole() throws {
        let text = "key,at,note\r\nh1,2021,\"两行\n的\"\"备注\"\"\"\n\n"
            + "h2,2022,\"a,\nb\n\"\nh3,2023,末行无换行"
        let whole = try CSV.parse(text)
        var random = SeededRandom(seed: 7)
        for _ in 0..<200 {
            var pieces = CSV.Pieces(), rows: [(line: Int, fields: [String])] = []
            var bytes = Array(text.utf8)[...]
            func take(_ p: (bytes: [UInt8], firstLine: Int)?) throws {
                guard let p else { return }
                let piece = try #require(String(validating: p.bytes, as: UTF8.self), "a piece cut a character")
                rows += try CSV.parse(piece).map { (line: $0.line + p.firstLine - 1, fields: $0.fields) }
            }
            while !bytes.isEmpty {
                let n = 1 + Int(random.unit() * 17)
                try take(pieces.add(bytes.prefix(n)))
                bytes = bytes.dropFirst(n)
            }
            try take(pieces.finish())
            #expect(rows.map(\.line) == whole.map(\.line) && rows.map(\.fields) == whole.map(\.fields))
        }
        #expect(whole.map(\.line) == [1, 2, 5, 8] && whole[1].fields[2] == "两行\n的\"备注\"")
    }

    @Test func anEmptyFileIsRefused() throws {
        let dir = NSTemporaryDirectory() + "/gridmap-transfer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Self.newStore(dir, "a")
        try "\n\n".write(toFile: dir + "/empty.csv", atomically: true, encoding: .utf8)
        let empty = try gridmap(["cases", "import", dir + "/empty.csv", "--store", store])
        #expect(empty.status != 0 && empty.err.contains("empty"), "\(empty.err)")
        try Data([0x6b, 0x65, 0x79, 0xff, 0x0a]).write(to: URL(fileURLWithPath: dir + "/bad.csv"))
        let bad = try gridmap(["cases", "import", dir + "/bad.csv", "--store", store])
        #expect(bad.status != 0 && bad.err.contains("UTF-8"), "\(bad.err)")
    }
}
