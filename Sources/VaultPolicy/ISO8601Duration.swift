public import Foundation

/// An ISO 8601 duration such as `P30D`, `P3Y`, `P1Y6M` or `PT12H`: whole, non-negative calendar units.
///
/// Fractions and negative durations are rejected: a retention period or a deadline written that way is
/// almost always a typing mistake, and calendar arithmetic on fractions is ambiguous.
public struct ISO8601Duration: Sendable, Hashable, CustomStringConvertible {
    /// Whole years.
    public let years: Int
    /// Whole months.
    public let months: Int
    /// Whole weeks.
    public let weeks: Int
    /// Whole days.
    public let days: Int
    /// Whole hours.
    public let hours: Int
    /// Whole minutes.
    public let minutes: Int
    /// Whole seconds.
    public let seconds: Int

    /// The duration `text` denotes, or nil when it is not a whole-unit ISO 8601 duration.
    public init?(_ text: String) {
        guard let parsed = Self.parse(text) else { return nil }
        self = parsed
    }

    /// Builds a duration from its components; each must be non-negative and at least one positive.
    public init?(years: Int = 0, months: Int = 0, weeks: Int = 0, days: Int = 0, hours: Int = 0, minutes: Int = 0, seconds: Int = 0) {
        let parts = [years, months, weeks, days, hours, minutes, seconds]
        guard parts.allSatisfy({ $0 >= 0 }), parts.contains(where: { $0 > 0 }) else { return nil }
        self.years = years
        self.months = months
        self.weeks = weeks
        self.days = days
        self.hours = hours
        self.minutes = minutes
        self.seconds = seconds
    }

    /// What a person should write instead of an unreadable duration.
    public static let expectedForm = "an ISO 8601 duration in whole units, such as P30D (30 days), P3Y (3 years), P1Y6M or PT12H"

    /// `date` moved forward by this duration in the proleptic Gregorian calendar in UTC.
    public func adding(to date: Date) -> Date {
        var components = DateComponents()
        components.year = years
        components.month = months
        components.day = weeks * 7 + days
        components.hour = hours
        components.minute = minutes
        components.second = seconds
        // Out-of-range arithmetic only happens for absurd durations; treat them as never ending.
        return Self.calendar.date(byAdding: components, to: date) ?? .distantFuture
    }

    /// The canonical spelling: components in ISO order, zero components left out.
    public var description: String {
        var text = "P"
        for (value, unit) in [(years, "Y"), (months, "M"), (weeks, "W"), (days, "D")] where value > 0 {
            text += "\(value)\(unit)"
        }
        if hours > 0 || minutes > 0 || seconds > 0 {
            text += "T"
            for (value, unit) in [(hours, "H"), (minutes, "M"), (seconds, "S")] where value > 0 {
                text += "\(value)\(unit)"
            }
        }
        return text
    }

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    private static func parse(_ text: String) -> ISO8601Duration? {
        var scalars = Substring(text).unicodeScalars[...]
        guard scalars.first == "P" else { return nil }
        scalars.removeFirst()
        var values: [Character: Int] = [:]
        var timeValues: [Character: Int] = [:]
        var inTime = false
        // Units must appear in this order, each at most once.
        var dateOrder: [Character] = ["Y", "M", "W", "D"]
        var timeOrder: [Character] = ["H", "M", "S"]
        while let first = scalars.first {
            if first == "T" {
                guard !inTime else { return nil }
                inTime = true
                scalars.removeFirst()
                guard !scalars.isEmpty else { return nil }
                continue
            }
            var digits = ""
            while let digit = scalars.first, ("0"..."9").contains(digit) {
                digits.unicodeScalars.append(digit)
                scalars.removeFirst()
            }
            // Nine digits is far past any sensible period and keeps the arithmetic from overflowing.
            guard !digits.isEmpty, digits.count <= 9, let value = Int(digits), let unitScalar = scalars.first else {
                return nil
            }
            scalars.removeFirst()
            let unit = Character(unitScalar)
            if inTime {
                guard let index = timeOrder.firstIndex(of: unit) else { return nil }
                timeOrder.removeSubrange(...index)
                timeValues[unit] = value
            } else {
                guard let index = dateOrder.firstIndex(of: unit) else { return nil }
                dateOrder.removeSubrange(...index)
                values[unit] = value
            }
        }
        return ISO8601Duration(
            years: values["Y"] ?? 0,
            months: values["M"] ?? 0,
            weeks: values["W"] ?? 0,
            days: values["D"] ?? 0,
            hours: timeValues["H"] ?? 0,
            minutes: timeValues["M"] ?? 0,
            seconds: timeValues["S"] ?? 0
        )
    }
}
