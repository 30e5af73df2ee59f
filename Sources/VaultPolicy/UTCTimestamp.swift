package import Foundation

/// Reads and writes the UTC timestamps that decisions quote, such as `2026-11-01T10:00Z`.
package enum UTCTimestamp {
    /// `date` as `YYYY-MM-DDTHH:MMZ`, with `:SS` only when the seconds are not zero.
    package static func format(_ date: Date) -> String {
        let parts = ISO8601Duration.calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T\(pad(parts.hour, 2)):\(pad(parts.minute, 2))"
        if let second = parts.second, second != 0 { text += ":\(pad(second, 2))" }
        return text + "Z"
    }

    /// What a person should write instead of an unreadable timestamp.
    package static let expectedForm = "a UTC time such as 2026-11-01T10:00Z, 2026-11-01T10:00:30Z or 2026-11-01"

    /// The instant `text` names (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MMZ` or `YYYY-MM-DDTHH:MM:SSZ`), or nil.
    package static func parse(_ text: String) -> Date? {
        let characters = Array(text)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= characters.count else { return nil }
            let slice = characters[range]
            guard slice.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(String(slice))
        }
        func character(_ index: Int, is expected: Character) -> Bool {
            index < characters.count && characters[index] == expected
        }
        guard let year = number(0..<4), character(4, is: "-"), let month = number(5..<7), character(7, is: "-"),
            let day = number(8..<10)
        else { return nil }
        var components = DateComponents(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
        if characters.count > 10 {
            guard character(10, is: "T"), let hour = number(11..<13), character(13, is: ":"), let minute = number(14..<16)
            else { return nil }
            components.hour = hour
            components.minute = minute
            var end = 16
            if character(16, is: ":") {
                guard let second = number(17..<19) else { return nil }
                components.second = second
                end = 19
            }
            guard characters.count == end + 1, character(end, is: "Z") else { return nil }
        }
        // Round-trip the components so that 2026-02-30 or 25:00 is rejected instead of rolled over.
        let calendar = ISO8601Duration.calendar
        guard let date = calendar.date(from: components) else { return nil }
        let back = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        guard back.year == year, back.month == month, back.day == day, back.hour == components.hour,
            back.minute == components.minute, back.second == components.second
        else { return nil }
        return date
    }
}
