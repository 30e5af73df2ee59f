import Foundation
import Testing
import VaultAnalytics

@Suite struct QueryTests {
    static let half = Epsilon(micros: 500_000)

    @Test func measuresParseAndPrintTheirCanonicalSpelling() throws {
        for text in ["count", "sum(spend)", "mean(age)", "clv", "customer_equity", "retention", "share_of_wallet", "rfm"] {
            #expect(try Measure(parsing: text).description == text)
        }
        for text in ["", "avg(spend)", "sum()", "mean(a,b)", "sum(spend", "COUNT"] {
            #expect { try Measure(parsing: text) } throws: { ($0 as? AnalyticsError)?.code == "invalid_query" }
        }
    }

    @Test func equivalentQueriesHaveOneCanonicalForm() throws {
        let a = try AggregateQuery(
            measures: [.clv, .count, .customerEquity, .clv],
            groupBy: ["segment", "region", "segment"],
            filters: ["region": "north"],
            epsilon: Self.half
        )
        let b = try AggregateQuery(
            measures: [.customerEquity, .count, .clv],
            groupBy: ["region", "segment"],
            filters: ["region": "north"],
            epsilon: Self.half
        )
        #expect(a == b)
        #expect(a.canonicalForm == "measures=clv,count,customer_equity;group_by=region,segment;where=region:north;epsilon=0.5")
        #expect(a.canonicalForm == b.canonicalForm)
        #expect(a.measures == [.clv, .count, .customerEquity] && a.groupBy == ["region", "segment"])
    }

    @Test func separatorsInNamesCannotForgeAnotherQuery() throws {
        let one = try AggregateQuery(measures: [.count], groupBy: ["a,b"], epsilon: Self.half)
        let two = try AggregateQuery(measures: [.count], groupBy: ["a", "b"], epsilon: Self.half)
        #expect(one.canonicalForm != two.canonicalForm)
        let tricky = try AggregateQuery(measures: [.count], filters: ["x": "1;epsilon=9"], epsilon: Self.half)
        #expect(tricky.canonicalForm == "measures=count;group_by=;where=x:1%3Bepsilon%3D9;epsilon=0.5")
    }

    @Test func theCacheKeyFollowsQueryConfigurationAndSnapshot() throws {
        let configuration = try Fixtures.configuration()
        let query = try AggregateQuery(measures: [.clv], groupBy: ["region"], epsilon: Self.half)
        let key = try AggregatePlan(query: query, configuration: configuration).cacheKey(snapshot: "v7")
        let same = try AggregatePlan(
            query: AggregateQuery(measures: [.clv, .clv], groupBy: ["region"], epsilon: Self.half),
            configuration: Fixtures.configuration()
        )
        #expect(same.cacheKey(snapshot: "v7") == key)
        #expect(key.hasPrefix("v2;measures=clv;group_by=region;where=;epsilon=0.5;configuration="))
        // Another day with the same data keeps the answer pinned: waiting buys no fresh noise.
        #expect(try AggregatePlan(query: query, configuration: Fixtures.configuration(asOf: Fixtures.asOf + 1)).cacheKey(snapshot: "v7") == key)
        let others = try [
            AggregatePlan(query: query, configuration: configuration).cacheKey(snapshot: "v8"),
            AggregatePlan(
                query: AggregateQuery(measures: [.clv], groupBy: ["region"], epsilon: Epsilon(micros: 500_001)),
                configuration: configuration
            ).cacheKey(snapshot: "v7"),
            AggregatePlan(
                query: AggregateQuery(measures: [.clv], groupBy: ["region"], filters: ["segment": "gold"], epsilon: Self.half),
                configuration: configuration
            ).cacheKey(snapshot: "v7"),
            AggregatePlan(query: query, configuration: Fixtures.configuration(minimumGroupSize: 5)).cacheKey(snapshot: "v7"),
        ]
        #expect(Set(others + [key]).count == others.count + 1)
    }

    @Test func theCacheReturnsTheFirstAnswerAndEvictsTheOldest() {
        func result(_ suppressed: Int) -> AggregateResult {
            AggregateResult(query: "q", epsilon: Self.half, groups: [], suppressedGroups: suppressed, suppressionThreshold: 1, asOf: 0)
        }
        var cache = QueryCache(capacity: 2)
        cache.store(result(1), for: "a")
        cache.store(result(2), for: "a")
        #expect(cache.answer(for: "a") == result(1))
        cache.store(result(3), for: "b")
        cache.store(result(4), for: "c")
        #expect(cache.answer(for: "a") == nil)
        #expect(cache.answer(for: "b") == result(3) && cache.answer(for: "c") == result(4))
    }

    @Test func thePlanRefusesWhatThePolicyDoesNotAllow() throws {
        let configuration = try Fixtures.configuration()
        func code(_ measures: [Measure], groupBy: [String] = [], filters: [String: String] = [:]) -> String? {
            do {
                _ = try AggregatePlan(
                    query: AggregateQuery(measures: measures, groupBy: groupBy, filters: filters, epsilon: Self.half),
                    configuration: configuration
                )
                return nil
            } catch { return error.code }
        }
        #expect(code([.count], groupBy: ["email"]) == "unknown_field")
        #expect(code([.count], filters: ["email": "x"]) == "unknown_field")
        #expect(code([.count], filters: ["rfm": "R1F1M1"]) == "unknown_field")
        #expect(code([.count], filters: ["region": "atlantis"]) == "value_outside_domain")
        #expect(code([.sum("salary")]) == "unknown_field")
        #expect(code([.mean("region")]) == "unknown_field")
        #expect(code([.count, .rfm], groupBy: ["region", "rfm"], filters: ["segment": "gold"]) == nil)
        #expect { try AggregateQuery(measures: [], epsilon: Self.half) } throws: {
            ($0 as? AnalyticsError)?.code == "invalid_query"
        }
        #expect { try AggregateQuery(measures: [.count], epsilon: .zero) } throws: {
            ($0 as? AnalyticsError)?.code == "invalid_epsilon"
        }
    }

    @Test func aScaleBeyondRangeIsRefusedNotWrapped() throws {
        let configuration = try AnalyticsConfiguration(
            dimensions: [],
            fields: [.init(name: "big", bounds: 0...Int64(AnalyticsConfiguration.largestBound))],
            minimumGroupSize: 1,
            lifetimeValue: LifetimeValueModel(discountRate: 0, retentionRate: 0, annualMargin: 0...1, windowYears: 1),
            rfm: RFMThresholds(recencyDays: [], frequency: [], monetary: []),
            asOf: 0
        )
        // b = 2⁴⁰ × 2 / 10⁻⁶ ≈ 2.2 × 10¹⁸ > 2⁵².
        #expect {
            try AggregatePlan(
                query: AggregateQuery(measures: [.sum("big")], epsilon: Epsilon(micros: 1)),
                configuration: configuration
            )
        } throws: { ($0 as? AnalyticsError)?.code == "noise_scale_too_large" }
    }

    @Test func configurationsAreValidated() throws {
        let model = try LifetimeValueModel(discountRate: 0.1, retentionRate: 0.5, annualMargin: 0...100, windowYears: 2)
        let rfm = try RFMThresholds(recencyDays: [10], frequency: [2], monetary: [100])
        func refuses(
            dimensions: [AnalyticsConfiguration.Dimension] = [],
            fields: [AnalyticsConfiguration.Field] = [],
            k: Int = 1,
            delta: Double = 1e-9
        ) -> Bool {
            do {
                _ = try AnalyticsConfiguration(
                    dimensions: dimensions,
                    fields: fields,
                    minimumGroupSize: k,
                    suppressionDelta: delta,
                    lifetimeValue: model,
                    rfm: rfm,
                    asOf: 0
                )
                return false
            } catch { return error.code == "invalid_configuration" }
        }
        #expect(refuses(dimensions: [.init(name: "a", domain: ["x"]), .init(name: "a", domain: ["y"])]))
        #expect(refuses(dimensions: [.init(name: "a", domain: ["x", "x"])]))
        #expect(refuses(dimensions: [.init(name: "a", domain: [])]))
        #expect(refuses(dimensions: [.init(name: "rfm", domain: ["x"])]))
        #expect(refuses(fields: [.init(name: "f", bounds: 0...0)]))
        #expect(refuses(fields: [.init(name: "f", bounds: Int64.min...0)]))
        #expect(refuses(k: 0))
        #expect(refuses(delta: 0))
        #expect(refuses(delta: .nan))
        #expect(!refuses(dimensions: [.init(name: "a", domain: ["x"])], fields: [.init(name: "f", bounds: -5...5)]))
        #expect(throws: AnalyticsError.self) {
            try LifetimeValueModel(discountRate: 0.1, retentionRate: 1, annualMargin: 0...100, windowYears: 2)
        }
        #expect(throws: AnalyticsError.self) {
            try LifetimeValueModel(discountRate: -0.1, retentionRate: 0.5, annualMargin: 0...100, windowYears: 2)
        }
        #expect(throws: AnalyticsError.self) { try RFMThresholds(recencyDays: [30, 10], frequency: [], monetary: []) }
    }

    @Test func recordsByNameRefuseUnknownNames() throws {
        let configuration = try Fixtures.configuration()
        let record = try configuration.record(dimensions: ["segment": "gold"], fields: ["age": 40])
        #expect(record.dimensions == [nil, "gold"] && record.fields == [nil, 40])
        #expect { try configuration.record(dimensions: ["email": "x"]) } throws: {
            ($0 as? AnalyticsError)?.code == "unknown_field"
        }
    }

    @Test func dayNumbersMatchFoundation() {
        var day = DayNumber.of(year: 1899, month: 12, day: 25)
        #expect(DayNumber.of(year: 1970, month: 1, day: 1) == 0)
        while day < DayNumber.of(year: 2101, month: 3, day: 1) {
            let parts = Calendars.gregorian.dateComponents([.year, .month, .day], from: Calendars.date(day))
            #expect(DayNumber.of(year: parts.year!, month: parts.month!, day: parts.day!) == day)
            day += 17
        }
    }
}
