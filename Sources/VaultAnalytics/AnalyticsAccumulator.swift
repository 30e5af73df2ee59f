/// Exact integer totals per group for one planned query: `add` each customer's record, `merge`
/// accumulators filled on other cores, then `release` noisy, suppressed results.
///
/// Per record the work is a few hash lookups (the record's buckets), one pass over its purchases when
/// a measure reads them, and integer additions into a flat array; nothing is allocated except when a
/// group is seen for the first time. Records are not kept.
package struct AnalyticsAccumulator: Sendable {
    /// The plan the totals follow.
    package let plan: AggregatePlan
    /// Records left out because a group-by field was missing, restricted or outside the policy's
    /// buckets. For the operator's diagnostics only: it is exact and data-dependent, so it must
    /// never reach an analyst.
    package private(set) var unplacedRecords = 0

    private var slotOfCell: [Int: Int] = [:]
    private var cellOfSlot: [Int] = []
    /// Totals of slot i at [i × statistics.count, (i + 1) × statistics.count), in plan order. They
    /// saturate rather than trap: that needs over 2²³ customers at the largest allowed bound.
    private var totals: [Int64] = []

    /// An empty accumulator.
    package init(plan: AggregatePlan) {
        self.plan = plan
    }

    /// Adds one customer: skipped if a filter does not match, clamped to the public bounds otherwise.
    package mutating func add(_ record: AnalyticsRecord) {
        for filter in plan.filters {
            guard filter.recordIndex < record.dimensions.count, record.dimensions[filter.recordIndex] == filter.value
            else { return }
        }
        var cell = 0
        // Indices rather than `for dimension in`, which would copy (retain) each dimension per record.
        for position in plan.groupDimensions.indices {
            let recordIndex = plan.groupDimensions[position].recordIndex
            guard recordIndex < record.dimensions.count, let bucket = record.dimensions[recordIndex],
                let code = plan.groupDimensions[position].index[bucket]
            else {
                unplacedRecords += 1
                return
            }
            cell += code * plan.groupDimensions[position].stride
        }
        var activity: CustomerActivity?
        if let windows = plan.windows {
            let summary = CustomerActivity.of(record, windows)
            if plan.groupsBySegment {
                cell += plan.configuration.rfm.segment(
                    daysSinceLastPurchase: summary.daysSinceLastPurchase(windows),
                    purchasesLastYear: summary.purchasesLastYear,
                    spendLastYear: summary.spendLastYear
                )
            }
            activity = summary
        }
        let base = slot(of: cell) * plan.statistics.count
        for offset in plan.statistics.indices {
            guard let value = contribution(plan.statistics[offset], record, activity) else { continue }
            let clamped = value.clamped(to: plan.contributionBounds[offset])
            totals[base + offset] = totals[base + offset].saturatingAdd(clamped)
        }
    }

    /// Adds another accumulator's totals, e.g. from the other half of the records on another core.
    package mutating func merge(_ other: AnalyticsAccumulator) {
        precondition(
            plan.query == other.plan.query && plan.fingerprint == other.plan.fingerprint,
            "only accumulators of the same plan can be merged"
        )
        let width = plan.statistics.count
        for (otherSlot, cell) in other.cellOfSlot.enumerated() {
            let base = slot(of: cell) * width
            for offset in 0..<width {
                totals[base + offset] = totals[base + offset].saturatingAdd(other.totals[otherSlot * width + offset])
            }
        }
        unplacedRecords += other.unplacedRecords
    }

    /// The cells that have at least one customer, in domain order, with their exact totals.
    var groups: [(cell: Int, totals: ArraySlice<Int64>)] {
        let width = plan.statistics.count
        return cellOfSlot.enumerated().sorted { $0.element < $1.element }.map { slot, cell in
            (cell, totals[(slot * width)..<((slot + 1) * width)])
        }
    }

    private mutating func slot(of cell: Int) -> Int {
        if let slot = slotOfCell[cell] { return slot }
        let slot = cellOfSlot.count
        slotOfCell[cell] = slot
        cellOfSlot.append(cell)
        totals.append(contentsOf: repeatElement(0, count: plan.statistics.count))
        return slot
    }

    /// One customer's raw share of one total, before clamping; nil when the customer has none.
    private func contribution(_ statistic: Statistic, _ record: AnalyticsRecord, _ activity: CustomerActivity?) -> Int64? {
        switch statistic {
        case .count: 1
        case .fieldSum(let field): value(record, field)
        case .fieldCount(let field): value(record, field) == nil ? nil : 1
        case .marginSum: activity?.windowMargin
        case .activeYearBefore: activity?.boughtYearBefore == true ? 1 : nil
        case .retained: activity.map { $0.boughtYearBefore && $0.boughtLastYear } == true ? 1 : nil
        case .walletSum: activity?.shareOfWallet
        case .walletCount: activity?.shareOfWallet == nil ? nil : 1
        case .marginSquareSum:
            activity.map { activity in
                let model = plan.configuration.lifetimeValue
                let annual = activity.windowMargin.clamped(to: model.windowMargin) / Int64(model.windowYears)
                let distance = annual - Statistic.centre(of: model.annualMargin)
                return distance * distance
            }
        }
    }

    private func value(_ record: AnalyticsRecord, _ field: Int) -> Int64? {
        field < record.fields.count ? record.fields[field] : nil
    }
}
