import ArgumentParser
import Foundation
import GridMapCore
import GridMapCases
import GridMapStore
import GridMapStores

/// A synthetic history of a district's cases, as `gridmap cases import` reads it (one row per
/// event, `CaseTransfer.columns`): about 630 reports a month with a summer peak, the catalogue's
/// categories weighted (a few common, a long tail), sources as a district's platform has them,
/// and the stages of each case: most accepted, dispatched to the stamped unit, handled within
/// a long-tailed time (nine in ten or so closed within the category's limit) and passed at 核查; some
/// refused (不予立案), failed at 核查 and handled again (返工), extended (延期), deferred (缓办)
/// or voided as duplicates (作废). Events that would fall after `--until` are left out, so the
/// newest cases are still open. Every name, note and point is generated (data/README.md).
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Writes a synthetic case history as CSV (gridmap cases import).")

    @Option(help: "Data directory whose addresses and catalogue the cases use.") var data = "data/yufeng"
    @Option(help: "The first month, YYYY-MM (China's time).") var from = "2025-12"
    @Option(help: "Months of history.") var months = 12
    @Option(help: "Reports a month on average (the district's is about 630).") var perMonth = 630.0
    @Option(help: "Multiplies the reports, for a district --scale times the size.") var scale = 1.0
    @Option(help: "Events after this moment (ISO 8601) are left out: the newest cases are open.")
    var until: String?
    @Option(help: "Random seed.") var seed: UInt64 = 450_203

    func run() throws {
        let addresses = try CasesCommand.addresses(data + "/addresses.csv")
        let catalogue = try Self.catalogue(data)
        guard !addresses.isEmpty, !catalogue.isEmpty else { throw ValidationError("no addresses or categories") }
        let parts = from.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, (1...12).contains(parts[1]), months > 0 else {
            throw ValidationError("--from is YYYY-MM and --months is 1 or more")
        }
        let untilMs = try until.map { text -> Int64 in
            guard let ms = AsOf.parse(text).ms else { throw ValidationError("--until is not a date or time") }
            return ms
        } ?? Int64.max
        var random = SeededRandom(seed: seed)
        // Category weights: a shuffled order, then 1/rank^0.8.
        var order = Array(catalogue.indices)
        order.shuffle(using: &random)
        var weights = [Double](repeating: 0, count: catalogue.count)
        for (rank, k) in order.enumerated() { weights[k] = 1 / pow(Double(rank + 1), 0.8) }
        let total = weights.reduce(0, +)
        func category() -> Entry {
            var x = random.unit() * total
            for (k, w) in weights.enumerated() {
                x -= w
                if x <= 0 { return catalogue[k] }
            }
            return catalogue[catalogue.count - 1]
        }
        let sources: [(String, Double)] = [("handheld", 0.55), ("hotline", 0.25), ("resident", 0.15),
                                           ("open311", 0.05)]
        func source() -> String {
            var x = random.unit()
            for (s, p) in sources {
                x -= p
                if x <= 0 { return s }
            }
            return "handheld"
        }
        var out = CSV.line(CaseTransfer.columns) + "\n"
        var n = 0
        func emit(_ key: String, _ ms: Int64, _ action: String, note: String = "", due: Int64? = nil,
                  account: String, role: String, duplicate: String = "") -> Bool {
            guard ms <= untilMs else { return false }
            out += CSV.line([key, CaseCoding.chinaTime(ms), action, "", "", "", "", "", "", note, "",
                             due.map(CaseCoding.chinaTime) ?? "", account, role, duplicate]) + "\n"
            return true
        }
        for m in 0..<months {
            let year = parts[0] + (parts[1] - 1 + m) / 12, month = (parts[1] - 1 + m) % 12 + 1
            let start = Self.chinaMidnight(year, month, 1)
            let end = Self.chinaMidnight(year + month / 12, month % 12 + 1, 1)
            // A summer peak (July) and a winter low, ±25%.
            let season = 1 + 0.25 * sin(2 * Double.pi * Double(month - 4) / 12)
            let count = Int((perMonth * scale * season * random.uniform(0.93, 1.07)).rounded())
            var times = (0..<count).map { _ -> Int64 in
                // Mostly in the day: 08:00–20:00 for four reports in five.
                let day = Int64(random.unit() * Double((end - start) / 86_400_000))
                let hour = random.unit() < 0.8 ? random.uniform(8, 20) : random.uniform(0, 24)
                return start + day * 86_400_000 + Int64(hour * 3_600_000)
            }
            times.sort()
            for reported in times where reported <= untilMs {
                n += 1
                let key = "h\(year)\(month < 10 ? "0" : "")\(month)-\(n)"
                let a = random.pick(addresses), c = category()
                // At the address itself: a point jittered off an address on the edge could leave the district.
                let (lon, lat) = (a.point.x, a.point.y)
                out += CSV.line([key, CaseCoding.chinaTime(reported), "report", String(format: "%.7f", lon),
                                 String(format: "%.7f", lat), "wgs84", c.code, source(), "（模拟）" + a.text + "附近",
                                 "", "", "", "受理平台", "reporter", ""]) + "\n"
                let limit = Int64(c.hours * 3_600_000)
                let roll = random.unit()
                var t = reported + Int64(random.uniform(0.1, 1.5) * 3_600_000)
                if roll < 0.03 {
                    _ = emit(key, t, "refuse", note: "不属于受理范围", account: "调度员", role: "dispatcher")
                    continue
                }
                if roll < 0.05 {
                    _ = emit(key, t, "void", note: "重复上报", account: "调度员", role: "dispatcher")
                    continue
                }
                guard emit(key, t, "accept", account: "调度员", role: "dispatcher") else { continue }
                t += Int64(random.uniform(0.05, 1) * 3_600_000)
                guard emit(key, t, "dispatch", account: "调度员", role: "dispatcher") else { continue }
                if roll < 0.07 {
                    t += Int64(random.uniform(1, 12) * 3_600_000)
                    _ = emit(key, t, "defer", note: "待天气好转后处置", account: "调度员", role: "dispatcher")
                    continue
                }
                var due = c.due(reported)
                // The time to handle: long-tailed, about nine in ten within the limit.
                let handleAt = reported + Int64(Double(limit) * 0.4 * exp(0.55 * random.gaussian()))
                if roll < 0.12 && handleAt > due {
                    let asked = t + max(0, (handleAt - t) / 3)
                    due = c.due(due)
                    guard emit(key, asked, "extend", note: "需协调多个部门", due: due, account: "调度员",
                               role: "dispatcher") else { continue }
                }
                t = max(t + 600_000, handleAt)
                guard emit(key, t, "handle", note: "已按要求处置", account: "处置人员", role: "unit") else { continue }
                if random.unit() < 0.08 {
                    t += Int64(random.uniform(0.02, 0.1) * Double(limit))
                    guard emit(key, t, "fail", note: "现场复核未整改到位", account: "调度员", role: "dispatcher")
                    else { continue }
                    t += Int64(random.uniform(0.05, 0.25) * Double(limit))
                    guard emit(key, t, "handle", note: "已重新整改", account: "处置人员", role: "unit") else { continue }
                }
                t += Int64(random.uniform(0.02, 0.12) * Double(limit))
                _ = emit(key, t, "pass", account: "调度员", role: "dispatcher")
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            out = ""
        }
        FileHandle.standardError.write(Data("\(n) cases\n".utf8))
    }

    static func chinaMidnight(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        var c = DateComponents()
        (c.year, c.month, c.day) = (year, month, day)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        return Int64(calendar.date(from: c)!.timeIntervalSince1970 * 1000)
    }

    /// A category as the history uses it: its code, its limit in hours, and when a case of it
    /// reported at a moment falls due (the engine's rule, working days from calendar.csv).
    struct Entry {
        let code: String
        let hours: Double
        let due: (Int64) -> Int64
    }

    static func catalogue(_ directory: String) throws -> [Entry] {
        func features(_ name: String, _ columns: [String], id: String) throws -> [Feature] {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                if name == DataFiles.calendar { return [] }
                throw ValidationError("cannot read \(path)")
            }
            return try Dataset.csvFeatures(Array(data), path: path, columns: columns, idColumn: id)
        }
        let calendar = WorkCalendar(try features(DataFiles.calendar, DataFiles.calendarColumns, id: "date")
            .enumerated().map { try Dataset.calendarDay($1, $0, DataFiles.calendar) })
        return try features(DataFiles.categories, DataFiles.categoryColumns, id: "code").enumerated().map { k, f in
            let c = try Dataset.category(f, k, DataFiles.categories)
            return Entry(code: c.code, hours: Double(c.timeLimitHours), due: { c.due(from: $0, calendar: calendar) })
        }
    }
}
