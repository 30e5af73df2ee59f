import Foundation
import VaultCrypto
import VaultStore

/// Seals and opens a customer's records under their DEK, binding customer id, record kind, record
/// version and the values' collection time into the associated data: a ciphertext moved elsewhere
/// fails to open, and so does a record whose collection time was changed in the database (which
/// would otherwise move its retention).
enum RecordSealer {
    /// `v1` records (before collection times were bound) still open; every write seals `v2`.
    static func associatedData(customerID: String, kind: String, version: UInt64, collectedAt: Date? = nil) -> [UInt8] {
        var bytes = Array((collectedAt == nil ? "cvault/record/v1\u{0}" : "cvault/record/v2\u{0}").utf8)
        withUnsafeBytes(of: version.bigEndian) { bytes += $0 }
        if let collectedAt { withUnsafeBytes(of: milliseconds(collectedAt).bigEndian) { bytes += $0 } }
        bytes += Array(kind.utf8)
        bytes.append(0)
        bytes += Array(customerID.utf8)
        return bytes
    }

    /// Whole milliseconds since 1970: what every backend keeps of a time, so the value bound at
    /// sealing is the one read back.
    static func milliseconds(_ date: Date) -> Int64 {
        // A time no clock gives (a changed row) must fail the check, not trap the process.
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        return Int64(exactly: milliseconds) ?? (milliseconds < 0 ? .min : .max)
    }

    /// The sealed record, its collection time cut to whole milliseconds.
    static func seal(
        _ fields: [String: FieldValue],
        customerID: String,
        kind: RecordKind,
        version: UInt64,
        collectedAt: Date,
        dek: SymmetricKey,
        random: some RandomSource
    ) throws -> RecordRow {
        let collectedAt = Date(timeIntervalSince1970: Double(milliseconds(collectedAt)) / 1000)
        var plaintext = ProfileCodec.encode(fields)
        defer { zeroize(&plaintext) }
        let box = try AES.GCM.seal(
            plaintext,
            using: dek,
            authenticating: associatedData(customerID: customerID, kind: kind.rawValue, version: version, collectedAt: collectedAt),
            random: random
        )
        return RecordRow(kind: kind, version: version, ciphertext: Data(box.combined), updatedAt: collectedAt)
    }

    static func open(_ record: RecordRow, customerID: String, dek: SymmetricKey) throws -> [String: FieldValue] {
        try withPlaintext(of: record, customerID: customerID, dek: dek) { try ProfileCodec.decode($0) }
    }

    /// Lends a record's plaintext to `body`, wiping it afterwards.
    static func withPlaintext<R>(of record: RecordRow, customerID: String, dek: SymmetricKey, _ body: ([UInt8]) throws -> R) throws -> R {
        var plaintext: [UInt8]
        do {
            let bound = associatedData(customerID: customerID, kind: record.kind.rawValue, version: record.version, collectedAt: record.updatedAt)
            if let opened = try? AES.GCM.open(combined: record.ciphertext, using: dek, authenticating: bound) {
                plaintext = opened
            } else {
                plaintext = try AES.GCM.open(
                    combined: record.ciphertext,
                    using: dek,
                    authenticating: associatedData(customerID: customerID, kind: record.kind.rawValue, version: record.version)
                )
            }
        } catch {
            throw VaultError.integrity(
                "the \(record.kind.rawValue) record of customer \(customerID) failed its integrity check; the row was altered, moved or swapped"
            )
        }
        defer { zeroize(&plaintext) }
        return try body(plaintext)
    }

    /// Seals free text (contest requests and resolutions) under the customer's DEK.
    static func sealText(_ text: [UInt8], customerID: String, context: String, dek: SymmetricKey, random: some RandomSource) throws -> Data {
        let box = try AES.GCM.seal(
            text,
            using: dek,
            authenticating: associatedData(customerID: customerID, kind: context, version: 0),
            random: random
        )
        return Data(box.combined)
    }

    static func openText(_ sealed: Data, customerID: String, context: String, dek: SymmetricKey) throws -> [UInt8] {
        do {
            return try AES.GCM.open(combined: sealed, using: dek, authenticating: associatedData(customerID: customerID, kind: context, version: 0))
        } catch {
            throw VaultError.integrity("a sealed \(context) of customer \(customerID) failed its integrity check")
        }
    }
}
