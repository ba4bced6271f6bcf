import ArgumentParser
import Foundation
import GridMapCore
import GridMapStores
import GridMapPlanning

/// Case-like records as a district's platform exports them, for bulk-join benchmarks: an id, a
/// report time, a category, a title (some with commas, quotes or a line break, so quoted), the
/// typed address, WGS 84 coordinates and a status. Most points lie near an address of the data
/// directory; some anywhere in a box around the district (many outside it); a few are broken
/// as real exports are (empty, `N/A`, out of range).
struct CasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases", abstract: "Writes N case records as CSV to standard output.")

    @Option(help: "Rows to write.") var rows = 1_000_000
    @Option(help: "Data directory whose addresses the cases are near.") var data = "data/yufeng"
    @Option(help: "Random seed.") var seed: UInt64 = 7

    func run() throws {
        let addresses = try Self.addresses(data + "/addresses.csv")
        guard !addresses.isEmpty else { throw ValidationError("no addresses in \(data)") }
        let box = addresses.reduce(into: (minX: 180.0, minY: 90.0, maxX: -180.0, maxY: -90.0)) { b, a in
            b = (min(b.minX, a.point.x), min(b.minY, a.point.y), max(b.maxX, a.point.x), max(b.maxY, a.point.y))
        }
        var random = SeededRandom(seed: seed)
        // The catalogue's own categories (names, as a case export shows them) when the data has one.
        let categories = try Self.categoryNames(data + "/categories.csv")
            ?? ["环境卫生", "市容秩序", "安全隐患", "矛盾纠纷", "民生服务", "道路设施", "噪音扰民", "消防通道"]
        let titles = ["路面积水", "垃圾未清运", "占道经营", "楼道堆放杂物",
                      "路灯不亮", "井盖缺失", "邻里纠纷", "违规停车"]
        let statuses = ["已受理", "处置中", "已办结", "已回访"]
        let start = Int64(1_704_038_400)  // 2024-01-01 00:00 +08:00
        let span = Int64(1_764_432_000) - start  // to 2025-11-30
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        out.append(contentsOf: "case_id,reported_at,category,title,address,lon,lat,status\n".utf8)
        for k in 0..<rows {
            out.append(contentsOf: "C\(20_000_000 + k),".utf8)
            let t = start + Int64(random.next() % UInt64(span))
            out.append(contentsOf: Self.time(t).utf8)
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: random.pick(categories).utf8)
            out.append(UInt8(ascii: ","))
            let title = random.pick(titles), roll = random.unit()
            if roll < 0.2 {
                out.append(contentsOf: "\"\(title)，影响通行,请尽快处理\"".utf8)
            } else if roll < 0.21 {
                out.append(contentsOf: "\"居民反映\"\"\(title)\"\"\"".utf8)
            } else if roll < 0.215 {
                out.append(contentsOf: "\"\(title)\n（附照片）\"".utf8)
            } else {
                out.append(contentsOf: title.utf8)
            }
            out.append(UInt8(ascii: ","))
            let a = random.pick(addresses)
            out.append(contentsOf: a.text.utf8)
            out.append(UInt8(ascii: ","))
            let where_ = random.unit()
            if where_ < 0.0005 {
                out.append(contentsOf: (random.unit() < 0.5 ? ",," : "N/A,N/A,").utf8)
            } else if where_ < 0.0008 {
                out.append(contentsOf: "109.4,999,".utf8)
            } else {
                let p = where_ < 0.03
                    ? Coordinate(random.uniform(box.minX - 0.02, box.maxX + 0.02),
                                 random.uniform(box.minY - 0.02, box.maxY + 0.02))
                    : Coordinate(a.point.x + random.gaussian() * 0.0002, a.point.y + random.gaussian() * 0.0002)
                Self.appendFixed(p.x, to: &out)
                out.append(UInt8(ascii: ","))
                Self.appendFixed(p.y, to: &out)
                out.append(UInt8(ascii: ","))
            }
            out.append(contentsOf: random.pick(statuses).utf8)
            out.append(UInt8(ascii: "\n"))
            if out.count > 1 << 20 { flush(&out) }
        }
        flush(&out)
    }

    private func flush(_ out: inout [UInt8]) {
        FileHandle.standardOutput.write(Data(out))
        out.removeAll(keepingCapacity: true)
    }

    /// Seven decimals, as GPS exports write them.
    static func appendFixed(_ v: Double, to out: inout [UInt8]) {
        let units = Int64((v * 1e7).rounded())
        out.append(contentsOf: "\(units / 10_000_000).".utf8)
        let frac = String(abs(units % 10_000_000))
        out.append(contentsOf: (String(repeating: "0", count: 7 - frac.count) + frac).utf8)
    }

    /// `2024-05-03 14:22:05` in China Standard Time.
    static func time(_ seconds: Int64) -> String {
        let local = seconds + 8 * 3600
        let days = Int(local / 86_400), s = Int(local % 86_400)
        // Civil date from days since 1970 (Howard Hinnant's algorithm).
        let z = days + 719_468, era = z / 146_097, doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d)) \(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60))"
    }

    /// The `name` column of a category catalogue; nil when there is no catalogue.
    static func categoryNames(_ path: String) throws -> [String]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let rows = try CSV.parse(String(decoding: data, as: UTF8.self))
        guard let k = rows.first?.fields.firstIndex(of: "name") else { return nil }
        let names = rows.dropFirst().compactMap { $0.fields.count > k ? $0.fields[k] : nil }
        return names.isEmpty ? nil : names
    }

    static func addresses(_ path: String) throws -> [(text: String, point: Coordinate)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        let rows = try CSV.parse(String(decoding: data, as: UTF8.self))
        guard let header = rows.first?.fields, let t = header.firstIndex(of: "address"),
              let x = header.firstIndex(of: "lon"), let y = header.firstIndex(of: "lat")
        else { throw ValidationError("\(path) has no address, lon and lat columns") }
        return rows.dropFirst().compactMap { r in
            guard let lon = Double(r.fields[x]), let lat = Double(r.fields[y]) else { return nil }
            return (r.fields[t], Coordinate(lon, lat))
        }
    }
}
