import Foundation
import Vault

/// The facade's access log, named apart from the DTO of the same name.
typealias FacadeAccessLog = AccessLog

extension Outputs {
    /// The customer's own entries, each proven against a signed checkpoint. Entries (ids, field
    /// names and codes; never values) are the facade's own; only the keys are spelt for the API.
    struct AccessLog: Encodable {
        let checkpoint: String
        let witnesses: [WitnessStatus]
        let size: UInt64
        let allVerified: Bool
        let entries: [FacadeAccessLog.Item]

        private enum CodingKeys: String, CodingKey {
            case checkpoint, witnesses, size, entries
            case allVerified = "all_verified"
        }

        init(_ log: FacadeAccessLog) {
            checkpoint = log.checkpoint
            witnesses = log.witnesses
            size = log.size
            allVerified = log.allVerified
            entries = log.entries
        }
    }

    /// The latest signed checkpoint and the key that verifies it.
    struct Checkpoint: Encodable {
        let checkpoint: String
        let origin: String
        let verifierKey: String
        let publicKey: String

        private enum CodingKeys: String, CodingKey {
            case checkpoint, origin
            case verifierKey = "verifier_key"
            case publicKey = "public_key"
        }
    }

    /// An RFC 9162 inclusion proof.
    struct InclusionProof: Encodable {
        let entry: UInt64
        let size: UInt64
        let leafHash: String
        let proof: [String]
        let root: String
        let verified: Bool

        private enum CodingKeys: String, CodingKey {
            case entry, size, proof, root, verified
            case leafHash = "leaf_hash"
        }

        init(_ view: InclusionProofView) {
            entry = view.entry
            size = view.size
            leafHash = view.leafHash
            proof = view.proof
            root = view.root
            verified = view.verified
        }
    }

    /// An RFC 9162 consistency proof.
    struct ConsistencyProof: Encodable {
        let from: UInt64
        let to: UInt64
        let proof: [String]
        let fromRoot: String
        let toRoot: String
        let verified: Bool

        private enum CodingKeys: String, CodingKey {
            case from, to, proof, verified
            case fromRoot = "from_root"
            case toRoot = "to_root"
        }

        init(_ view: ConsistencyProofView) {
            from = view.from
            to = view.to
            proof = view.proof
            fromRoot = view.fromRoot
            toRoot = view.toRoot
            verified = view.verified
        }
    }

    /// The compliance report for a period.
    struct Report: Encodable {
        let from: Date?
        let to: Date?
        let checkpoint: String
        let entries: Int
        let byRole: [String: [String: Int]]
        let byPurpose: [String: [String: Int]]
        let byOperation: [String: Int]
        let readsWithoutConsent: [Violation]
        let consentChanges: Int
        let erasures: Int
        let keyRotations: Int
        let restores: Int
        let consentOverrides: Int
        let retentionValuesRemoved: Int
        let lastRetentionSweep: Date?
        let lastRetentionSweepValuesRemoved: Int?
        let aggregateQueries: Int
        let modelTrainings: Int
        let epsilonCharged: Double
        let consentCoverage: [AuditReport.ConsentCoverage]
        let byDayAndRole: [String: [String: Int]]
        let byDayAndPurpose: [String: [String: Int]]
        let openContests: Int
        let overdueContests: [Contest]
        let policies: [Policy]

        private enum CodingKeys: String, CodingKey {
            case from, to, checkpoint, entries, erasures, policies, restores
            case consentOverrides = "consent_overrides"
            case retentionValuesRemoved = "retention_values_removed"
            case lastRetentionSweep = "last_retention_sweep"
            case lastRetentionSweepValuesRemoved = "last_retention_sweep_values_removed"
            case byRole = "by_role"
            case byPurpose = "by_purpose"
            case byOperation = "by_operation"
            case readsWithoutConsent = "reads_without_consent"
            case consentChanges = "consent_changes"
            case keyRotations = "key_rotations"
            case aggregateQueries = "aggregate_queries"
            case epsilonCharged = "epsilon_charged"
            case openContests = "open_contests"
            case modelTrainings = "model_trainings"
            case consentCoverage = "consent_coverage"
            case byDayAndRole = "by_day_and_role"
            case byDayAndPurpose = "by_day_and_purpose"
            case overdueContests = "overdue_contests"
        }

        struct Violation: Encodable {
            let seq: UInt64
            let customer: String
            let purpose: String
            let state: String
        }

        struct Policy: Encodable {
            let hash: String
            let fileName: String
            let appliedAt: Date

            private enum CodingKeys: String, CodingKey {
                case hash
                case fileName = "file_name"
                case appliedAt = "applied_at"
            }
        }

        init(_ report: AuditReport) {
            from = report.from
            to = report.to
            checkpoint = report.checkpoint
            entries = report.entries
            byRole = report.byRole
            byPurpose = report.byPurpose
            byOperation = report.byOperation
            readsWithoutConsent = report.readsWithoutConsent.map {
                Violation(seq: $0.seq, customer: $0.customer, purpose: $0.purpose, state: $0.state)
            }
            consentChanges = report.consentChanges
            erasures = report.erasures
            keyRotations = report.keyRotations
            restores = report.restores
            consentOverrides = report.consentOverrides
            retentionValuesRemoved = report.retentionValuesRemoved
            lastRetentionSweep = report.lastRetentionSweep
            lastRetentionSweepValuesRemoved = report.lastRetentionSweepValuesRemoved
            aggregateQueries = report.aggregateQueries
            modelTrainings = report.modelTrainings
            consentCoverage = report.consentCoverage
            byDayAndRole = report.byDayAndRole
            byDayAndPurpose = report.byDayAndPurpose
            epsilonCharged = Double(report.microEpsilonCharged) / 1_000_000
            openContests = report.openContests
            overdueContests = report.overdueContests.map(Contest.init)
            policies = report.policies.map { Policy(hash: $0.hash, fileName: $0.fileName, appliedAt: $0.appliedAt) }
        }
    }
}
