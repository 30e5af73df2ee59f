import Testing
import VaultFormat

@Suite("Civil dates")
struct CivilDateTests {
    @Test func knownDays() {
        #expect(CivilDate.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilDate.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilDate.days(year: 1969, month: 12, day: 31) == -1)
        #expect(CivilDate.days(year: 0, month: 1, day: 1) == -719_528)
        #expect(CivilDate.date(days: 20_788) == (2026, 12, 1))
    }

    @Test func everyDayOfFiveCenturiesRoundTrips() {
        var previous = CivilDate.date(days: -146_098)
        var wrong: [Int64] = []
        for days in Int64(-146_097)...Int64(73_048) {
            let date = CivilDate.date(days: days)
            let endOfMonth = previous.day == CivilDate.daysInMonth(year: previous.year, month: previous.month)
            let follows =
                endOfMonth
                ? date.day == 1 && (date.month == previous.month % 12 + 1) && date.year == previous.year + (previous.month == 12 ? 1 : 0)
                : date.day == previous.day + 1 && date.month == previous.month && date.year == previous.year
            if !follows || CivilDate.days(year: date.year, month: date.month, day: date.day) != days { wrong.append(days) }
            previous = date
        }
        #expect(wrong.isEmpty, "each day follows the one before and converts back")
    }

    @Test func leapYears() {
        #expect(CivilDate.isLeap(2000) && CivilDate.isLeap(2024) && !CivilDate.isLeap(1900) && !CivilDate.isLeap(2026))
        #expect(CivilDate.daysInMonth(year: 2024, month: 2) == 29 && CivilDate.daysInMonth(year: 2100, month: 2) == 28)
    }
}
