package import Foundation

// How every backend stores numbers and times, so both read back the same rows.

/// A stored non-negative number; a negative or oversized one is damage, not a crash.
package func u32(_ value: Int64) throws -> UInt32 {
    guard let number = UInt32(exactly: value) else { throw StoreError.corrupted("a stored version number is out of range") }
    return number
}

/// A stored size or sequence number; a negative one is damage, not a crash.
package func u64(_ value: Int64) throws -> UInt64 {
    guard let number = UInt64(exactly: value) else { throw StoreError.corrupted("a stored size or sequence number is negative") }
    return number
}

/// Timestamps are stored as integer milliseconds since the Unix epoch (UTC).
package func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

/// The time a stored millisecond count stands for.
package func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
