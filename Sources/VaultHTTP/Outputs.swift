import Foundation
import Vault
import VaultPolicy

/// The response bodies of the API, in snake_case, built from the facade's views.
///
/// The facade's types stay free to change; these are the API's contract, and `openapi.yaml`
/// describes exactly these shapes. A customer read's body is written directly by the facade
/// (`CustomerView.json`), the hottest path of the API.
enum Outputs {
    /// A field the policy refused, with the policy's reason.
    struct Denial: Encodable, Sendable {
        let field: String
        let code: String
        let reason: String

        init(_ decision: FieldDecision) {
            field = decision.field
            code = decision.decision.code.rawValue
            reason = decision.decision.reason
        }
    }

    /// A contest; the proposed value and reason only for its customer.
    struct Contest: Encodable {
        let id: String
        let customer: String
        let field: String
        let status: String
        let openedAt: Date
        let deadline: Date
        let overdue: Bool
        let resolvedAt: Date?
        let resolution: String?
        let proposedValue: FieldValue?
        let reason: String?

        private enum CodingKeys: String, CodingKey {
            case id, customer, field, status, deadline, overdue, resolution, reason
            case openedAt = "opened_at"
            case resolvedAt = "resolved_at"
            case proposedValue = "proposed_value"
        }

        init(_ view: ContestView) {
            id = view.id
            customer = view.customer
            field = view.field
            status = view.status
            openedAt = view.openedAt
            deadline = view.deadline
            overdue = view.overdue
            resolvedAt = view.resolvedAt
            resolution = view.resolution
            proposedValue = view.proposedValue
            reason = view.reason
        }
    }

    /// The fields a staff update wrote.
    struct Updated: Encodable {
        let customer: String
        let updated: [String]
    }

    /// The signed receipt of an erasure.
    struct Erasure: Encodable {
        let statement: String
        let signature: String
        let publicKey: String
        let erasedAt: Date
        let backupsUndecryptableFrom: Date

        private enum CodingKeys: String, CodingKey {
            case statement, signature
            case publicKey = "public_key"
            case erasedAt = "erased_at"
            case backupsUndecryptableFrom = "backups_undecryptable_from"
        }

        init(_ receipt: ErasureReceipt) {
            statement = receipt.statement
            signature = receipt.signature
            publicKey = receipt.publicKey
            erasedAt = receipt.erasedAt
            backupsUndecryptableFrom = receipt.backupsUndecryptableFrom
        }
    }

    /// `GET /healthz`.
    struct Health: Encodable {
        let status: String
    }
}
