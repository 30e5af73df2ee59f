public import Foundation

/// Days since 1970-01-01 (day 0) in the proleptic Gregorian calendar, the engine's only notion of time.
///
/// Integer civil-date arithmetic after Howard Hinnant's `days_from_civil` / `civil_from_days`, so that
/// "one year before" means the same calendar date a year earlier, leap years included, and no clock
/// or time zone is ever consulted inside the engine.
public enum DayNumber {
    /// The UTC day `date` falls on.
    public static func of(_ date: Date) -> Int32 {
        Int32((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// The day number of a calendar date (month 1–12, day 1–31).
    public static func of(year: Int, month: Int, day: Int) -> Int32 {
        precondition((1...12).contains(month) && (1...31).contains(day), "not a calendar date")
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return Int32(era * 146_097 + dayOfEra - 719_468)
    }

    /// The same calendar date `years` years earlier; 29 February becomes 28 February in a common year.
    static func years(_ years: Int, before day: Int32) -> Int32 {
        let (year, month, dayOfMonth) = civil(day)
        let target = year - years
        let isLeap = target % 4 == 0 && (target % 100 != 0 || target % 400 == 0)
        let clamped = month == 2 && dayOfMonth == 29 && !isLeap ? 28 : dayOfMonth
        return of(year: target, month: month, day: clamped)
    }

    /// The day as `YYYY-MM-DD`.
    public static func isoDate(_ day: Int32) -> String {
        let (year, month, dayOfMonth) = civil(day)
        func pad(_ value: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(value).count)) + String(value) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(dayOfMonth, 2))"
    }

    /// The calendar date of a day number.
    public static func civil(_ day: Int32) -> (year: Int, month: Int, day: Int) {
        let z = Int(day) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfMonth)
    }
}
