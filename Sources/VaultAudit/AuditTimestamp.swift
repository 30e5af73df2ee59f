package import Foundation
import VaultFormat

/// A UTC instant at millisecond precision, written in RFC 3339 as `2026-11-23T02:31:00.123Z`.
///
/// Audit leaves need one spelling per instant; an integer count of milliseconds (rather than a
/// floating-point `Date`) keeps encoding and decoding exact. Years 0000–9999.
package struct AuditTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z, ignoring leap seconds (Unix time).
    package let millisecondsSince1970: Int64

    private static let millisecondsPerDay: Int64 = 86_400_000
    private static let earliest = CivilDate.days(year: 0, month: 1, day: 1) * millisecondsPerDay
    private static let latest = CivilDate.days(year: 9999, month: 12, day: 31) * millisecondsPerDay + millisecondsPerDay - 1
    private static let range = earliest...latest

    /// The instant `millisecondsSince1970` after the epoch; nil outside years 0000–9999.
    package init?(millisecondsSince1970: Int64) {
        guard Self.range.contains(millisecondsSince1970) else { return nil }
        self.millisecondsSince1970 = millisecondsSince1970
    }

    /// `date` truncated to the millisecond. Dates outside years 0000–9999 are a programming error.
    package init(_ date: Date) {
        // Rounding to the microsecond first absorbs binary floating-point error, so a `Date`
        // built from a whole millisecond maps back to that millisecond.
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        precondition(micros.magnitude < 1e17, "date outside years 0000–9999")
        let (quotient, remainder) = Int64(micros).quotientAndRemainder(dividingBy: 1000)
        let millis = remainder < 0 ? quotient - 1 : quotient
        precondition(Self.range.contains(millis), "date outside years 0000–9999")
        millisecondsSince1970 = millis
    }

    /// The current time.
    package static var now: AuditTimestamp { AuditTimestamp(Date()) }

    /// The same instant as a `Date`.
    package var date: Date { Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000) }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    package var rfc3339: String {
        let (days, millisOfDay) = Self.floorDivide(millisecondsSince1970, Self.millisecondsPerDay)
        let (year, month, day) = CivilDate.date(days: days)
        let seconds = millisOfDay / 1000
        var out = [UInt8]()
        out.reserveCapacity(24)
        func put(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        put(year, 4)
        out.append(UInt8(ascii: "-"))
        put(month, 2)
        out.append(UInt8(ascii: "-"))
        put(day, 2)
        out.append(UInt8(ascii: "T"))
        put(seconds / 3600, 2)
        out.append(UInt8(ascii: ":"))
        put(seconds / 60 % 60, 2)
        out.append(UInt8(ascii: ":"))
        put(seconds % 60, 2)
        out.append(UInt8(ascii: "."))
        put(millisOfDay % 1000, 3)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses exactly the form `rfc3339` writes; nil for anything else (other precisions,
    /// offsets, lower-case `t`/`z`, leap seconds, impossible dates).
    package init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        guard b.count == 24, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "."),
            b[23] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in b[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let millis = number(20..<23),
            (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        self.init(millisecondsSince1970: days * Self.millisecondsPerDay + ((hour * 60 + minute) * 60 + second) * 1000 + millis)
    }

    /// The RFC 3339 form.
    package var description: String { rfc3339 }

    /// Earlier instants first.
    package static func < (lhs: AuditTimestamp, rhs: AuditTimestamp) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}
