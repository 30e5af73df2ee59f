import Foundation
public import VaultPolicy

/// A customer as imported, exported and generated: the id, the policy's fields, and consents.
public struct CustomerRecord: Sendable, Equatable {
    /// The customer id (1–128 characters: letters, digits, `-`, `_`, `.`).
    public var id: String
    /// Field values by field name; each field's section comes from the policy.
    public var fields: [String: FieldValue]
    /// Consent (or objection) state per purpose.
    public var consents: [String: ConsentRecord.Status]

    /// A customer record.
    public init(id: String, fields: [String: FieldValue], consents: [String: ConsentRecord.Status]) {
        self.id = id
        self.fields = fields
        self.consents = consents
    }

    /// Whether `id` is an acceptable customer id.
    static func isValidID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
                    || byte == 0x2d || byte == 0x5f || byte == 0x2e
            }
            // `.`, `..` and the like name folders wherever an id becomes part of a path.
            && !id.utf8.allSatisfy { $0 == 0x2e }
    }
}
