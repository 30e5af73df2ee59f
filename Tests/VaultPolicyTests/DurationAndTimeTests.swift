import Foundation
import Testing
import VaultPolicy

struct DurationAndTimeTests {
    @Test(arguments: [
        ("P30D", "P30D"), ("P3Y", "P3Y"), ("P1Y6M", "P1Y6M"), ("PT12H", "PT12H"), ("P2W", "P2W"),
        ("P1Y2M3W4DT5H6M7S", "P1Y2M3W4DT5H6M7S"), ("P0Y30D", "P30D"), ("PT90M", "PT90M"),
    ])
    func parsesAndPrintsCanonically(_ text: String, _ canonical: String) throws {
        #expect(try #require(ISO8601Duration(text)).description == canonical)
    }

    @Test(arguments: [
        "", "P", "PT", "P0D", "30D", "P-1D", "P1.5Y", "P1D2Y", "P1M1M", "PT1D", "P1H", "p30d", "P30D ", "P1DT", "P1234567890D", "P30DT",
    ])
    func rejectsOtherForms(_ text: String) {
        #expect(ISO8601Duration(text) == nil)
    }

    @Test func addsCalendarUnitsInUTC() throws {
        let start = utc("2024-01-31T10:00Z")
        #expect(try #require(ISO8601Duration("P1M")).adding(to: start) == utc("2024-02-29T10:00Z"))
        #expect(try #require(ISO8601Duration("P1Y")).adding(to: utc("2024-02-29T00:00Z")) == utc("2025-02-28T00:00Z"))
        #expect(try #require(ISO8601Duration("P30D")).adding(to: start) == utc("2024-03-01T10:00Z"))
        #expect(try #require(ISO8601Duration("P1WT12H")).adding(to: start) == utc("2024-02-07T22:00Z"))
        #expect(try #require(ISO8601Duration("PT90M")).adding(to: start) == utc("2024-01-31T11:30Z"))
    }

    @Test func timestampsRoundTrip() throws {
        #expect(UTCTimestamp.format(utc("2026-11-01T10:00Z")) == "2026-11-01T10:00Z")
        #expect(UTCTimestamp.format(utc("2026-11-01T10:00:30Z")) == "2026-11-01T10:00:30Z")
        #expect(UTCTimestamp.format(utc("2026-11-01")) == "2026-11-01T00:00Z")
        #expect(UTCTimestamp.parse("2026-11-01T10:00Z") == Date(timeIntervalSince1970: 1_793_527_200))
    }

    @Test(arguments: [
        "2026-02-30", "2026-11-01T25:00Z", "2026-11-01T10:00", "2026-11-01T10:00+01:00", "2026-1-01", "yesterday", "2026-11-01T10:60Z",
        "2026-11-01 10:00Z",
    ])
    func rejectsUnclearTimestamps(_ text: String) {
        #expect(UTCTimestamp.parse(text) == nil)
    }
}
