import Foundation
import GridMapTestSupport
import Testing

@testable import GridMapCases
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapSQLite
@testable import GridMapStore
@testable import GridMapStores

/// Time limits in working days (#39 point 2): the clock stops on rest days, the holidays and
/// the weekends worked come from `calendar.csv`, and every due time (ROUTE's, a case's stamp)
/// is counted by the one rule.
@Suite struct WorkCalendarTests {
    static let china = TimeZone(secondsFromGMT: 8 * 3600)!

    static func ms(_ text: String) -> Int64 {
        let f = ISO8601DateFormatter()
        return Int64(f.date(from: text)!.timeIntervalSince1970 * 1000)
    }

    /// An independent reckoning with Foundation's calendar: walk day by day, asking Foundation
    /// for each midnight and weekday, the listed dates looked up as text.
    static func reckon(_ hours: Int, from start: Int64, holidays: Set<String>, workdays: Set<String>) -> Int64 {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = china
        let f = DateFormatter()
        (f.calendar, f.timeZone, f.dateFormat) = (cal, china, "yyyy-MM-dd")
        var remaining = Int64(hours) * 3_600_000
        var t = Date(timeIntervalSince1970: Double(start) / 1000)
        while true {
            let midnight = cal.date(byAdding: .day, value: 1, to: cal.startOfDay(for: t))!
            let name = f.string(from: t)
            let weekend = cal.isDateInWeekend(t)
            let working = workdays.contains(name) || (!weekend && !holidays.contains(name))
            func ms(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }
            let left = ms(midnight) - ms(t)
            if working {
                if remaining <= left { return ms(t) + remaining }
                remaining -= left
            }
            t = midnight
        }
    }

    @Test func theBundledCalendarAgreesWithAnIndependentReckoning() throws {
        let d = Fixtures.dataset
        let days = d.calendar.days
        #expect(days.count > 50, "data/yufeng/calendar.csv is not loaded")
        let holidays = Set(days.filter { $0.kind == .holiday }.map(\.date))
        let workdays = Set(days.filter { $0.kind == .workday }.map(\.date))
        var random = SeededRandom(seed: 39)
        let from = Self.ms("2025-01-01T00:00:00+08:00"), to = Self.ms("2026-12-31T00:00:00+08:00")
        for _ in 0..<3_000 {
            // Any millisecond, limits from an hour to two weeks.
            let start = from + Int64(random.unit() * Double(to - from))
            let hours = [1, 4, 12, 24, 48, 72, 120, 336][Int(random.unit() * 8) % 8]
            let mine = d.calendar.addingWorkingHours(hours, to: start)
            let theirs = Self.reckon(hours, from: start, holidays: holidays, workdays: workdays)
            #expect(mine == theirs, "\(hours) h from \(CaseCoding.chinaTime(start))")
            if mine != theirs { break }
        }
    }

    @Test func knownDueTimes() throws {
        let cal = Fixtures.dataset.calendar
        func due(_ hours: Int, _ start: String) -> String {
            CaseCoding.chinaTime(cal.addingWorkingHours(hours, to: Self.ms(start)))
        }
        // Three working days from the eve of the National Day week: Oct 1–7 off, Sat Oct 10 worked.
        #expect(due(72, "2026-09-30T15:00:00+08:00") == "2026-10-10T15:00:00+08:00")
        // Reported on a Saturday: the clock starts on Monday's midnight.
        #expect(due(24, "2026-11-28T10:30:00+08:00") == "2026-12-01T00:00:00+08:00")
        // Friday afternoon, one working day: Monday afternoon.
        #expect(due(24, "2026-12-04T16:00:00+08:00") == "2026-12-07T16:00:00+08:00")
        // Spring Festival 2026: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked.
        #expect(due(24, "2026-02-13T09:00:00+08:00") == "2026-02-14T09:00:00+08:00")
        #expect(due(48, "2026-02-13T09:00:00+08:00") == "2026-02-24T09:00:00+08:00")
        // Without a calendar: Monday to Friday.
        let plain = WorkCalendar()
        #expect(CaseCoding.chinaTime(plain.addingWorkingHours(72, to: Self.ms("2026-09-30T15:00:00+08:00")))
                == "2026-10-05T15:00:00+08:00")
        #expect(WorkCalendar.dayNumber("2026-02-30") == nil && WorkCalendar.dayNumber("2026-2-3") == nil)
        #expect(WorkCalendar.dayNumber("1970-01-01") == 0 && WorkCalendar.dayNumber("2000-03-01") == 11_017)
    }

    @Test func routeAndTheCaseStampCountWorkingDays() throws {
        let d = Fixtures.dataset
        let working = try #require(d.categories.first { $0.timeBasis == .working })
        let natural = try #require(d.categories.first { $0.timeBasis == .natural })
        let start = Self.ms("2026-09-30T15:00:00+08:00")
        let snapshot = try Snapshot(dataset: d)
        let p = Coordinate(109.4200897, 24.3072275)
        for c in [working, natural] {
            let route = try RouteRequest.route(snapshot, p, category: c.code, border: 15, receivedMs: start)
            let want = c.timeBasis == .natural ? start + Int64(c.timeLimitHours) * 3_600_000
                : d.calendar.addingWorkingHours(c.timeLimitHours, to: start)
            #expect(route["category"]?["due_at"]?.string == CaseCoding.chinaTime(want), "\(c.code)")
            #expect(route["category"]?["time_basis"]?.string == c.timeBasis.rawValue)
        }
        let location = try StoreBackend.sqlite.newLocation("calendar-cases")
        _ = try Stores.create(location, from: d, author: "t", message: "v1")
        let map = MapView(try MapService(storeLocation: location))
        let r = try CaseReportRequest(place: .point(PointQuery(lon: p.x, lat: p.y)), category: working.code)
        let stamp = try r.intake(map, nowMs: start).stamp
        #expect(stamp.dueMs == d.calendar.addingWorkingHours(working.timeLimitHours, to: start))
        #expect(stamp.dueMs > start + Int64(working.timeLimitHours) * 3_600_000)
    }

    @Test func theCalendarTravelsWithTheMap() throws {
        let d = Fixtures.dataset
        let path = Scratch.path("calendar") + ".gridmap"
        let store = try Stores.create(path, from: d, author: "t", message: "t")
        let stored = try store.dataset(version: 1)
        #expect(stored.calendar == d.calendar && stored.categories == d.categories)
        let gpkg = Scratch.path("calendar") + ".gpkg"
        try GeoPackage.write(stored, to: gpkg)
        #expect(try GeoPackage.read(gpkg).calendar == d.calendar)
        let dir = Scratch.path("calendar-dir")
        try stored.write(directory: dir)
        let reread = try Dataset.load(directory: dir)
        #expect(reread.calendar == d.calendar && reread.categories == d.categories)
        // A redrawn calendar is a change like any other: a version whose summary counts it.
        var next = stored
        next.calendar = WorkCalendar(stored.calendar.days.filter { !$0.date.hasPrefix("2025") })
        let changes = StoreContent(stored).changes(to: StoreContent(next))
        #expect(changes.features[.calendar]?.count == stored.calendar.days.filter { $0.date.hasPrefix("2025") }.count)
        _ = try store.verify()
    }

    @Test func aBadCalendarOrBasisIsRefusedByLine() throws {
        let dir = Scratch.path("calendar-bad")
        try Fixtures.dataset.write(directory: dir)
        func refusal(_ file: String, _ text: String) throws -> String {
            let url = URL(fileURLWithPath: dir + "/" + file)
            let saved = try Data(contentsOf: url)
            defer { try? saved.write(to: url) }
            try Data(text.utf8).write(to: url)
            do { _ = try Dataset.load(directory: dir); return "loaded" } catch { return "\(error)" }
        }
        let badDate = try refusal("calendar.csv", "date,kind,name\n2026-02-30,holiday,x\n")
        #expect(badDate.contains("calendar.csv") && badDate.contains("2026-02-30"), "\(badDate)")
        let badKind = try refusal("calendar.csv", "date,kind,name\n2026-02-03,rest,x\n")
        #expect(badKind.contains("holiday") && badKind.contains("workday"), "\(badKind)")
        let twice = try refusal("calendar.csv", "date,kind,name\n2026-02-03,holiday,x\n2026-02-03,workday,y\n")
        #expect(twice.contains("2026-02-03"), "\(twice)")
        var rows = try String(contentsOfFile: dir + "/categories.csv", encoding: .utf8).split(separator: "\n")
        rows[1] = Substring(rows[1].replacingOccurrences(of: ",natural", with: ",weekdays")
                            .replacingOccurrences(of: ",working", with: ",weekdays"))
        let badBasis = try refusal("categories.csv", rows.joined(separator: "\n") + "\n")
        #expect(badBasis.contains("weekdays") && badBasis.contains("natural") && badBasis.contains("working"),
                "\(badBasis)")
        #expect(try refusal("calendar.csv", "date,kind,name\n") == "loaded")
    }
}
