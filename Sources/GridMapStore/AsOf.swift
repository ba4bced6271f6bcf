import GridMapGeometry
import GridMapModel

/// The version a moment names: a version id (`12`, `v12`) or a date or time. A date alone
/// means the start of that day, and a time without a zone China Standard Time (+08:00), the
/// district's own.
///
/// Dates are read as people and exports write them: ISO 8601 (`2026-03-01`,
/// `2026-03-01T08:30:00.250+08:00`, `…Z`), with a space for the `T`, with slashes and one-digit
/// months and days as spreadsheets write them (`2026/3/1 8:30`). One parser, on bytes, so a
/// bulk job reads a date per row in tens of nanoseconds and every skin reads dates alike.
public enum AsOf {
    public static let defaultZoneMinutes = 8 * 60

    /// The version `text` names, or the one live at the moment it names, among versions
    /// published at `times` (oldest first): the one resolution every reader of a store uses
    /// (`MapService` from memory, a backend from its table of versions).
    public static func resolve(_ text: String, among times: [(id: Int, ms: Int64)], file: String) throws -> Int {
        let parsed = parse(text)
        if let v = parsed.version {
            guard times.contains(where: { $0.id == v }) else {
                throw StoreError(file, "no version \(v); versions are 1 to \(times.last?.id ?? 0)",
                                 code: .unknownVersion)
            }
            return v
        }
        guard let ms = parsed.ms else {
            throw StoreError(file, "ASOF '\(text.prefix(40))' is neither a version number nor an ISO 8601 date or time",
                             code: .badAsof)
        }
        guard let v = times.filter({ $0.ms <= ms }).map(\.id).max() else {
            throw StoreError(file, "no version was live at \(text.prefix(40)): the first was published at "
                + VersionInfo.iso(times.first?.ms ?? 0), code: .unknownVersion)
        }
        return v
    }

    public static func parse(_ text: String) -> (version: Int?, ms: Int64?) {
        let t = text.trimmingCharacters(in: .whitespaces)
        let digits = t.hasPrefix("v") || t.hasPrefix("V") ? String(t.dropFirst()) : t
        if !digits.isEmpty, digits.count < 10, digits.allSatisfy(\.isASCII), let v = Int(digits), v > 0 {
            return (v, nil)
        }
        var utf8 = Array(t.utf8)
        return (nil, utf8.withUnsafeMutableBytes { milliseconds(UnsafeRawBufferPointer($0)) })
    }

    /// Milliseconds since 1970 of a date or time (see the type's note), nil if it is not one.
    public static func milliseconds(_ b: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        func number(maxDigits: Int) -> Int? {
            var v = 0, n = 0
            while i < b.count, n < maxDigits, case let d = b[i] &- 48, d <= 9 { v = v * 10 + Int(d); i += 1; n += 1 }
            return n == 0 ? nil : v
        }
        func take(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(maxDigits: 4), i == 4 else { return nil }
        let separator: Character = take("-") ? "-" : take("/") ? "/" : " "
        guard separator != " ", let month = number(maxDigits: 2), take(separator), let day = number(maxDigits: 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        var seconds = 0, fraction = 0.0, zone = defaultZoneMinutes
        if i < b.count {
            guard take("T") || take(" ") || take("t"), let hour = number(maxDigits: 2), take(":"),
                  let minute = number(maxDigits: 2), hour <= 23, minute <= 59
            else { return nil }
            seconds = hour * 3600 + minute * 60
            if take(":") {
                guard let s = number(maxDigits: 2), s <= 60 else { return nil }
                seconds += s
                if take(".") || take(",") {
                    var scale = 0.1, any = false
                    while i < b.count, case let d = b[i] &- 48, d <= 9 {
                        fraction += Double(d) * scale; scale /= 10; i += 1; any = true
                    }
                    guard any else { return nil }
                }
            }
            if take("Z") || take("z") {
                zone = 0
            } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                let start = i
                guard let hours = number(maxDigits: 2), i - start == 2 else { return nil }
                var minutes = 0
                if take(":") || i < b.count {  // +08:00 or +0800
                    guard let m = number(maxDigits: 2), m <= 59 else { return nil }
                    minutes = m
                }
                guard hours <= 14 else { return nil }
                zone = sign * (hours * 60 + minutes)
            }
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let whole = Int64(days) * 86_400 + Int64(seconds) - Int64(zone) * 60
        return whole * 1000 + Int64((fraction * 1000).rounded())
    }

    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    package static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
