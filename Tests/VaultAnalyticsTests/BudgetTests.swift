import Foundation
import Testing
import VaultAnalytics

@Suite struct BudgetTests {
    static func budget(
        analyst: Int64 = 1_000_000,
        global: Int64 = 10_000_000,
        analystLifetime: Int64 = 100_000_000,
        globalLifetime: Int64 = 1_000_000_000
    ) throws -> PrivacyBudget {
        try PrivacyBudget(
            defaultPerQuery: Epsilon(micros: 100_000),
            maximumPerQuery: Epsilon(micros: 2_000_000),
            analystLimit: Epsilon(micros: analyst),
            globalLimit: Epsilon(micros: global),
            analystLifetimeLimit: Epsilon(micros: analystLifetime),
            globalLifetimeLimit: Epsilon(micros: globalLifetime)
        )
    }

    /// Spending within one period, with nothing spent before it.
    static func spent(analyst: Epsilon, global: Epsilon) -> PrivacyBudget.Spending {
        PrivacyBudget.Spending(analystPeriod: analyst, analystLifetime: analyst, globalPeriod: global, globalLifetime: global)
    }

    @Test(
        "refuses NaN, infinite, zero, negative, over-precise and oversized epsilon",
        arguments: [
            Double.nan, .infinity, -.infinity, 0, -0.5, -1e-6, 1e-7, 0.1234567, 2e9,
        ]
    )
    func refusesInvalidEpsilon(value: Double) {
        #expect(throws: AnalyticsError.self) { try Epsilon(validating: value) }
        do {
            _ = try Epsilon(validating: value)
        } catch {
            #expect(error.code == "invalid_epsilon")
            #expect(error.description.hasPrefix("invalid epsilon: "))
        }
    }

    @Test func acceptsSixDecimalsExactly() throws {
        #expect(try Epsilon(validating: 0.1).micros == 100_000)
        #expect(try Epsilon(validating: 0.000001).micros == 1)
        #expect(try Epsilon(validating: 1.5).micros == 1_500_000)
        #expect(try Epsilon(validating: 123.456789).micros == 123_456_789)
        #expect(try Epsilon(validating: 0.3).description == "0.3")
        #expect(Epsilon(micros: 2_000_000).description == "2")
        #expect(Epsilon(micros: 1).description == "0.000001")
    }

    @Test func theRequestDefaultsAndIsCappedByThePolicy() throws {
        let budget = try Self.budget()
        #expect(try budget.epsilon(requested: nil) == Epsilon(micros: 100_000))
        #expect(try budget.epsilon(requested: 2) == Epsilon(micros: 2_000_000))
        #expect {
            try budget.epsilon(requested: 2.000001)
        } throws: { ($0 as? AnalyticsError)?.code == "epsilon_above_maximum" }
        #expect {
            try budget.epsilon(requested: .nan)
        } throws: { ($0 as? AnalyticsError)?.code == "invalid_epsilon" }
    }

    @Test func fixedPointSumsDoNotDrift() throws {
        // Ten charges of 0.1 in Double fall short of 1 (0.9999999999999999) and the eleventh
        // would then slip through a limit of 1; in micro-ε they spend exactly 1.
        #expect((0..<10).reduce(0.0) { sum, _ in sum + 0.1 } < 1)
        let budget = try Self.budget()
        var spent = Epsilon.zero
        for _ in 0..<10 {
            spent = try budget.charge(Epsilon(validating: 0.1), spent: Self.spent(analyst: spent, global: spent)).analystSpent
        }
        #expect(spent == Epsilon(micros: 1_000_000))
        #expect {
            try budget.charge(Epsilon(micros: 1), spent: Self.spent(analyst: spent, global: spent))
        } throws: { ($0 as? AnalyticsError)?.code == "budget_exhausted" }
    }

    @Test func aRefusalReportsTheBudgetLeftAndChargesNothing() throws {
        let budget = try Self.budget(analyst: 1_000_000, global: 1_500_000)
        let spent = Epsilon(micros: 700_000)
        do {
            _ = try budget.charge(Epsilon(micros: 500_000), spent: Self.spent(analyst: spent, global: Epsilon(micros: 900_000)))
            Issue.record("a charge past the analyst's budget was granted")
        } catch {
            #expect(error.code == "budget_exhausted")
            #expect(
                error.budget
                    == BudgetStatus(
                        analystSpent: spent,
                        analystRemaining: Epsilon(micros: 300_000),
                        globalSpent: Epsilon(micros: 900_000),
                        globalRemaining: Epsilon(micros: 600_000),
                        analystLifetimeSpent: spent,
                        analystLifetimeRemaining: Epsilon(micros: 99_300_000),
                        globalLifetimeSpent: Epsilon(micros: 900_000),
                        globalLifetimeRemaining: Epsilon(micros: 999_100_000)
                    )
            )
            #expect(error.description.contains("0.3 is left for the analyst"))
        }
        // The global budget binds too, even when the analyst has room.
        #expect {
            try budget.charge(Epsilon(micros: 200_000), spent: Self.spent(analyst: .zero, global: Epsilon(micros: 1_400_000)))
        } throws: { ($0 as? AnalyticsError)?.budget?.globalRemaining == Epsilon(micros: 100_000) }
        let granted = try budget.charge(Epsilon(micros: 300_000), spent: Self.spent(analyst: spent, global: spent))
        #expect(granted.analystRemaining == .zero && granted.globalSpent == Epsilon(micros: 1_000_000))
    }

    @Test("a lifetime cap binds when every period has room, for the analyst and for the vault")
    func lifetimeCapsNeverRenew() throws {
        let budget = try Self.budget(analyst: 1_000_000, global: 2_000_000, analystLifetime: 3_000_000, globalLifetime: 5_000_000)
        // A new period: nothing spent in it, but 2.9 spent ever.
        var spent = PrivacyBudget.Spending(
            analystPeriod: .zero,
            analystLifetime: Epsilon(micros: 2_900_000),
            globalPeriod: .zero,
            globalLifetime: Epsilon(micros: 2_900_000)
        )
        #expect(budget.status(spent).analystRemaining == Epsilon(micros: 100_000))
        do {
            _ = try budget.charge(Epsilon(micros: 200_000), spent: spent)
            Issue.record("a charge past the analyst's lifetime cap was granted")
        } catch {
            #expect(error.code == "budget_exhausted")
            #expect(error.description.contains("never renews"))
        }
        #expect(try budget.charge(Epsilon(micros: 100_000), spent: spent).analystLifetimeRemaining == .zero)
        // The global cap binds on its own too.
        spent = PrivacyBudget.Spending(analystPeriod: .zero, analystLifetime: .zero, globalPeriod: .zero, globalLifetime: Epsilon(micros: 4_950_000))
        #expect { try budget.charge(Epsilon(micros: 100_000), spent: spent) } throws: {
            ($0 as? AnalyticsError)?.budget?.globalRemaining == Epsilon(micros: 50_000)
        }
    }

    @Test func invalidBudgetsAreRefused() {
        #expect(throws: AnalyticsError.self) {
            try PrivacyBudget(
                defaultPerQuery: Epsilon(micros: 3),
                maximumPerQuery: Epsilon(micros: 2),
                analystLimit: Epsilon(micros: 10),
                globalLimit: Epsilon(micros: 10),
                analystLifetimeLimit: Epsilon(micros: 10),
                globalLifetimeLimit: Epsilon(micros: 10)
            )
        }
        #expect(throws: AnalyticsError.self) {
            try PrivacyBudget(
                defaultPerQuery: Epsilon(micros: 1),
                maximumPerQuery: Epsilon(micros: 2),
                analystLimit: .zero,
                globalLimit: Epsilon(micros: 10),
                analystLifetimeLimit: Epsilon(micros: 10),
                globalLifetimeLimit: Epsilon(micros: 10)
            )
        }
        // A lifetime cap below one period's allowance could never be the binding limit it claims to be.
        #expect(throws: AnalyticsError.self) {
            try PrivacyBudget(
                defaultPerQuery: Epsilon(micros: 1),
                maximumPerQuery: Epsilon(micros: 2),
                analystLimit: Epsilon(micros: 10),
                globalLimit: Epsilon(micros: 10),
                analystLifetimeLimit: Epsilon(micros: 9),
                globalLifetimeLimit: Epsilon(micros: 10)
            )
        }
    }

    @Test func epsilonRoundTripsThroughJSON() throws {
        let status = try Self.budget().status(Self.spent(analyst: Epsilon(micros: 300_000), global: Epsilon(micros: 1)))
        let decoded = try JSONDecoder().decode(BudgetStatus.self, from: JSONEncoder().encode(status))
        #expect(decoded == status)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Epsilon.self, from: Data("-1".utf8)) }
    }

    @Test func concurrentChargesNeverOverspend() async throws {
        let ledger = try BudgetLedger(budget: Self.budget(analyst: 1_000_000, global: 1_500_000))
        // 2 × 400 charges of 0.003: an analyst can afford 333 of them (0.999), the vault 500 (1.5).
        let granted = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<800 {
                group.addTask {
                    (try? await ledger.charge(Epsilon(micros: 3_000), analyst: index % 2 == 0 ? "ana" : "bo")) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        let ana = await ledger.status(analyst: "ana")
        let bo = await ledger.status(analyst: "bo")
        #expect(granted == 500)
        #expect(ana.globalSpent == Epsilon(micros: 1_500_000))
        #expect(ana.analystSpent <= Epsilon(micros: 1_000_000) && bo.analystSpent <= Epsilon(micros: 1_000_000))
        #expect(ana.analystSpent.micros + bo.analystSpent.micros == 1_500_000)
    }

    @Test func concurrentChargesByOneAnalystStopAtTheLimit() async throws {
        let ledger = try BudgetLedger(budget: Self.budget(analyst: 1_000_000))
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<1_000 {
                group.addTask { (try? await ledger.charge(Epsilon(micros: 3_000), analyst: "ana")) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 333)
        #expect(await ledger.status(analyst: "ana").analystSpent == Epsilon(micros: 999_000))
    }
}
