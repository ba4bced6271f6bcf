import Foundation
import GridMapGeometry

/// One dated exception of the working week (calendar.csv): a weekday off (`holiday`, 法定节假日)
/// or a weekend day worked (`workday`, 调休上班).
public struct CalendarDay: Equatable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case holiday, workday
    }
    /// `YYYY-MM-DD`, China time.
    public var date: String
    public var kind: Kind
    public var name: String
    public var properties: JSONObject
}

/// The district's working days: Monday to Friday, but for the dates `calendar.csv` lists.
/// Time limits in working days run only on working days (the clock stops at midnight before a
/// rest day and starts again at midnight after it), counted on China Standard Time (UTC+8, no
/// daylight saving), the time every stamp is shown in.
public struct WorkCalendar: Equatable, Sendable {
    public private(set) var days: [CalendarDay]
    /// Day number (days since 1970-01-01, China time) → whether it is worked.
    private let exceptions: [Int: Bool]

    public static let dayMs: Int64 = 86_400_000
    public static let chinaOffsetMs: Int64 = 8 * 3_600_000

    /// `days` as read (`Dataset.calendarDay` refuses a date that is none).
    public init(_ days: [CalendarDay] = []) {
        var exceptions: [Int: Bool] = [:]
        for d in days {
            if let n = Self.dayNumber(d.date) { exceptions[n] = d.kind == .workday }
        }
        self.days = days.sorted { $0.date < $1.date }
        self.exceptions = exceptions
    }

    /// The day number of `YYYY-MM-DD`, or nil when it is no date (2026-02-30 is none).
    public static func dayNumber(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), d >= 1, d <= daysIn(month: m, year: y) else { return nil }
        // Days from civil (Howard Hinnant's algorithm): exact for every proleptic Gregorian date.
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month m: Int, year y: Int) -> Int {
        switch m {
        case 2: (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Whether day `n` (days since 1970-01-01, China time) is worked.
    public func isWorking(day n: Int) -> Bool {
        if let listed = exceptions[n] { return listed }
        // 1970-01-01 was a Thursday: weekday 0 is Monday.
        let weekday = ((n + 3) % 7 + 7) % 7
        return weekday < 5
    }

    /// The moment `hours` of working time after `startMs`: the clock runs through whole working
    /// days and stands still on rest days; a report on a rest day starts at the next working
    /// day's midnight.
    public func addingWorkingHours(_ hours: Int, to startMs: Int64) -> Int64 {
        var remaining = Int64(hours) * 3_600_000
        var t = startMs + Self.chinaOffsetMs
        var day = Int((t >= 0 ? t : t - Self.dayMs + 1) / Self.dayMs)
        // Every week has working days unless a calendar lists every day of it: give up after
        // twenty years of rest rather than loop for ever.
        for _ in 0..<7_300 {
            let end = Int64(day + 1) * Self.dayMs
            if isWorking(day: day) {
                if remaining <= end - t { return t + remaining - Self.chinaOffsetMs }
                remaining -= end - t
            }
            t = end
            day += 1
        }
        return t + remaining - Self.chinaOffsetMs
    }
}

/// How a category's time limit is counted.
public enum TimeBasis: String, CaseIterable, Sendable {
    /// Hours on the clock, nights and holidays included (the default).
    case natural
    /// Hours of working days only (`calendar.csv`): a limit of 72 is three working days.
    case working
}

extension Category {
    /// When a case of this category reported at `reportedMs` falls due.
    public func due(from reportedMs: Int64, calendar: WorkCalendar) -> Int64 {
        switch timeBasis {
        case .natural: reportedMs + Int64(timeLimitHours) * 3_600_000
        case .working: calendar.addingWorkingHours(timeLimitHours, to: reportedMs)
        }
    }
}
