import Foundation
import Vault
import VaultAnalytics

extension Outputs {
    /// An aggregate answer: the released (noisy, suppressed) groups and what they cost.
    struct Aggregate: Encodable {
        let query: String
        let epsilon: Double
        let groups: [Group]
        let suppressedGroups: Int
        let suppressionThreshold: Int64
        let cached: Bool
        let epsilonCharged: Double
        let budget: Budget

        private enum CodingKeys: String, CodingKey {
            case query, epsilon, groups, cached, budget
            case suppressedGroups = "suppressed_groups", suppressionThreshold = "suppression_threshold", epsilonCharged = "epsilon_charged"
        }

        struct Group: Encodable {
            let key: [String: String]
            let values: [Value]
        }

        struct Value: Encodable {
            let measure: String
            let value: Double
            let noiseScale: Double
            let interval: [Double]

            private enum CodingKeys: String, CodingKey { case measure, value, interval, noiseScale = "noise_scale" }
        }

        init(_ answer: AggregateAnswer) {
            let result = answer.result
            query = result.query
            epsilon = result.epsilon.doubleValue
            groups = result.groups.map { group in
                Group(key: group.key, values: group.values.map {
                    Value(measure: $0.measure, value: $0.value, noiseScale: $0.noiseScale, interval: [$0.interval.lowerBound, $0.interval.upperBound])
                })
            }
            suppressedGroups = result.suppressedGroups
            suppressionThreshold = result.suppressionThreshold
            cached = answer.cached
            epsilonCharged = answer.epsilonCharged.doubleValue
            budget = Budget(answer.budget)
        }
    }

    /// Spent and remaining ε, for the analyst and for the vault.
    struct Budget: Encodable {
        let analystSpent: Double
        let analystRemaining: Double
        let globalSpent: Double
        let globalRemaining: Double

        private enum CodingKeys: String, CodingKey {
            case analystSpent = "analyst_spent", analystRemaining = "analyst_remaining"
            case globalSpent = "global_spent", globalRemaining = "global_remaining"
        }

        init(_ status: BudgetStatus) {
            analystSpent = status.analystSpent.doubleValue
            analystRemaining = status.analystRemaining.doubleValue
            globalSpent = status.globalSpent.doubleValue
            globalRemaining = status.globalRemaining.doubleValue
        }
    }

    /// `GET /v1/budget`: the analyst's budget in the current sliding period.
    struct BudgetPeriod: Encodable {
        let analyst: String
        let period: String
        let since: Date
        let budget: Budget

        init(_ view: BudgetView) {
            analyst = view.analyst
            period = view.period
            since = view.since
            budget = Budget(view.status)
        }
    }
}
