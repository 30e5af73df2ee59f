import Foundation
import Vault
import VaultAnalytics

extension Outputs {
    /// An aggregate answer: the released (noisy, suppressed) groups and what they cost.
    struct Aggregate: Encodable {
        let query: String
        let epsilon: Double
        let asOf: String
        let groups: [Group]
        let suppressedGroups: Int
        let suppressionThreshold: Int64
        let cached: Bool
        let epsilonCharged: Double
        let budget: Budget
        let efficientSet: EfficientSet?

        private enum CodingKeys: String, CodingKey {
            case query, epsilon, groups, cached, budget
            case asOf = "as_of"
            case efficientSet = "efficient_set"
            case suppressedGroups = "suppressed_groups"
            case suppressionThreshold = "suppression_threshold"
            case epsilonCharged = "epsilon_charged"
        }

        /// The portfolio's groups in the (variance, mean) plane and the corners of its efficient set.
        struct EfficientSet: Encodable {
            let groups: [Point]
            let frontier: [Point]

            struct Point: Encodable {
                let key: [String: String]
                let mean: Double
                let variance: Double
                let standardDeviation: Double
                let efficient: Bool

                private enum CodingKeys: String, CodingKey {
                    case key, mean, variance, efficient
                    case standardDeviation = "standard_deviation"
                }

                init(_ point: VaultAnalytics.EfficientSet.Point) {
                    key = point.key
                    mean = point.mean
                    variance = point.variance
                    standardDeviation = point.variance.squareRoot()
                    efficient = point.efficient
                }
            }
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

            private enum CodingKeys: String, CodingKey {
                case measure, value, interval
                case noiseScale = "noise_scale"
            }
        }

        init(_ answer: AggregateAnswer) {
            let result = answer.result
            query = result.query
            epsilon = result.epsilon.doubleValue
            asOf = DayNumber.isoDate(result.asOf)
            groups = result.groups.map { group in
                Group(
                    key: group.key,
                    values: group.values.map {
                        Value(
                            measure: $0.measure,
                            value: $0.value,
                            noiseScale: $0.noiseScale,
                            interval: [$0.interval.lowerBound, $0.interval.upperBound]
                        )
                    }
                )
            }
            suppressedGroups = result.suppressedGroups
            suppressionThreshold = result.suppressionThreshold
            cached = answer.cached
            epsilonCharged = answer.epsilonCharged.doubleValue
            budget = Budget(answer.budget)
            efficientSet = answer.efficientSet.map {
                EfficientSet(groups: $0.groups.map(EfficientSet.Point.init), frontier: $0.frontier.map(EfficientSet.Point.init))
            }
        }
    }

    /// Spent and remaining ε, for the analyst and for the vault.
    struct Budget: Encodable {
        let analystSpent: Double
        let analystRemaining: Double
        let globalSpent: Double
        let globalRemaining: Double
        let analystLifetimeSpent: Double
        let analystLifetimeRemaining: Double
        let globalLifetimeSpent: Double
        let globalLifetimeRemaining: Double

        private enum CodingKeys: String, CodingKey {
            case analystSpent = "analyst_spent"
            case analystRemaining = "analyst_remaining"
            case globalSpent = "global_spent"
            case globalRemaining = "global_remaining"
            case analystLifetimeSpent = "analyst_lifetime_spent"
            case analystLifetimeRemaining = "analyst_lifetime_remaining"
            case globalLifetimeSpent = "global_lifetime_spent"
            case globalLifetimeRemaining = "global_lifetime_remaining"
        }

        init(_ status: BudgetStatus) {
            analystSpent = status.analystSpent.doubleValue
            analystRemaining = status.analystRemaining.doubleValue
            globalSpent = status.globalSpent.doubleValue
            globalRemaining = status.globalRemaining.doubleValue
            analystLifetimeSpent = status.analystLifetimeSpent.doubleValue
            analystLifetimeRemaining = status.analystLifetimeRemaining.doubleValue
            globalLifetimeSpent = status.globalLifetimeSpent.doubleValue
            globalLifetimeRemaining = status.globalLifetimeRemaining.doubleValue
        }
    }

    /// `GET /v1/budget`: the analyst's budget in the current sliding period.
    struct BudgetPeriod: Encodable {
        let analyst: String
        let period: String
        let since: Date
        let globalPeriod: String
        let globalSince: Date
        let budget: Budget

        private enum CodingKeys: String, CodingKey {
            case analyst, period, since, budget
            case globalPeriod = "global_period"
            case globalSince = "global_since"
        }

        init(_ view: BudgetView) {
            analyst = view.analyst
            period = view.period
            since = view.since
            globalPeriod = view.globalPeriod
            globalSince = view.globalSince
            budget = Budget(view.status)
        }
    }
}
