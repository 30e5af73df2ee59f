import VaultPolicy
import VaultStore

// The store and the policy name the same things in their own types (a target depends on neither
// of the other's); these say how they correspond, exhaustively, so a new case is a compile error
// here rather than a trap at run time.

extension RecordKind {
    /// The record that holds a section's fields.
    init(_ section: FieldDefinition.Section) {
        switch section {
        case .characteristics: self = .characteristics
        case .responses: self = .responses
        case .purchases: self = .purchases
        }
    }
}

extension FieldDefinition.Section {
    /// The section whose fields a record holds.
    init(_ kind: RecordKind) {
        switch kind {
        case .characteristics: self = .characteristics
        case .responses: self = .responses
        case .purchases: self = .purchases
        }
    }
}

extension ConsentRecord {
    /// A stored consent choice, as decisions read it.
    init(_ row: ConsentRow) {
        self.init(Status(row.state), at: row.at)
    }
}

extension ConsentRecord.Status {
    /// A stored consent state.
    init(_ state: ConsentRow.State) {
        switch state {
        case .granted: self = .granted
        case .withdrawn: self = .withdrawn
        case .objected: self = .objected
        }
    }
}

extension ConsentRow.State {
    /// A consent choice as it is stored.
    init(_ status: ConsentRecord.Status) {
        switch status {
        case .granted: self = .granted
        case .withdrawn: self = .withdrawn
        case .objected: self = .objected
        }
    }
}
