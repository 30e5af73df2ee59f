package import Foundation
import VaultFormat

/// Days since 1970-01-01 (day 0) in the proleptic Gregorian calendar, the engine's only notion of time.
///
/// Integer civil-date arithmetic (`CivilDate`, shared with audit timestamps), so that "one year
/// before" means the same calendar date a year earlier, leap years included, and no clock or time
/// zone is ever consulted inside the engine.
package enum DayNumber {
    /// The UTC day `date` falls on.
    package static func of(_ date: Date) -> Int32 {
        Int32((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// The day number of a calendar date (month 1–12, day 1–31).
    package static func of(year: Int, month: Int, day: Int) -> Int32 {
        precondition((1...12).contains(month) && (1...31).contains(day), "not a calendar date")
        return Int32(CivilDate.days(year: Int64(year), month: Int64(month), day: Int64(day)))
    }

    /// The same calendar date `years` years earlier; 29 February becomes 28 February in a common year.
    static func years(_ years: Int, before day: Int32) -> Int32 {
        let (year, month, dayOfMonth) = civil(day)
        let target = year - years
        let clamped = month == 2 && dayOfMonth == 29 && !CivilDate.isLeap(Int64(target)) ? 28 : dayOfMonth
        return of(year: target, month: month, day: clamped)
    }

    /// The day as `YYYY-MM-DD`.
    package static func isoDate(_ day: Int32) -> String {
        let (year, month, dayOfMonth) = civil(day)
        func pad(_ value: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(value).count)) + String(value) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(dayOfMonth, 2))"
    }

    /// The calendar date of a day number.
    package static func civil(_ day: Int32) -> (year: Int, month: Int, day: Int) {
        let (year, month, dayOfMonth) = CivilDate.date(days: Int64(day))
        return (Int(year), Int(month), Int(dayOfMonth))
    }
}
