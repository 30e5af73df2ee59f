import Foundation
import VaultCrypto
import VaultStore

/// Seals and opens a customer's records under their DEK, binding customer id, record kind and
/// record version into the associated data so a ciphertext moved elsewhere fails to open.
enum RecordSealer {
    static func associatedData(customerID: String, kind: String, version: UInt64) -> [UInt8] {
        var bytes = Array("cvault/record/v1\u{0}".utf8)
        withUnsafeBytes(of: version.bigEndian) { bytes += $0 }
        bytes += Array(kind.utf8)
        bytes.append(0)
        bytes += Array(customerID.utf8)
        return bytes
    }

    static func seal(_ fields: [String: FieldValue], customerID: String, kind: RecordKind, version: UInt64,
                     dek: SymmetricKey, random: some RandomSource) throws -> Data {
        var plaintext = ProfileCodec.encode(fields)
        defer { zeroize(&plaintext) }
        let box = try AES.GCM.seal(plaintext, using: dek,
                                   authenticating: associatedData(customerID: customerID, kind: kind.rawValue, version: version),
                                   random: random)
        return Data(box.combined)
    }

    static func open(_ record: RecordRow, customerID: String, dek: SymmetricKey) throws -> [String: FieldValue] {
        try withPlaintext(of: record, customerID: customerID, dek: dek) { try ProfileCodec.decode($0) }
    }

    /// Lends a record's plaintext to `body`, wiping it afterwards.
    static func withPlaintext<R>(of record: RecordRow, customerID: String, dek: SymmetricKey, _ body: ([UInt8]) throws -> R) throws -> R {
        var plaintext: [UInt8]
        do {
            plaintext = try AES.GCM.open(combined: record.ciphertext, using: dek,
                                         authenticating: associatedData(customerID: customerID, kind: record.kind.rawValue, version: record.version))
        } catch {
            throw VaultError.integrity("the \(record.kind.rawValue) record of customer \(customerID) failed its integrity check; the row was altered, moved or swapped")
        }
        defer { zeroize(&plaintext) }
        return try body(plaintext)
    }

    /// Seals free text (contest requests and resolutions) under the customer's DEK.
    static func sealText(_ text: [UInt8], customerID: String, context: String, dek: SymmetricKey, random: some RandomSource) throws -> Data {
        let box = try AES.GCM.seal(text, using: dek, authenticating: associatedData(customerID: customerID, kind: context, version: 0), random: random)
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
