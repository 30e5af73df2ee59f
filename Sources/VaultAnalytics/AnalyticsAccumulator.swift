/// Exact integer totals per group for one planned query: `add` each customer's record, `merge`
/// accumulators filled on other cores, then `release` noisy, suppressed results.
///
/// Per record the work is a few hash lookups (the record's buckets), one pass over its purchases when
/// a measure reads them, and integer additions into a flat array; nothing is allocated except when a
/// group is seen for the first time. Records are not kept.
public struct AnalyticsAccumulator: Sendable {
    /// The plan the totals follow.
    public let plan: AggregatePlan
    /// Records left out because a group-by field was missing, restricted or outside the policy's
    /// buckets. For the operator's diagnostics only: it is exact and data-dependent, so it must
    /// never reach an analyst.
    public private(set) var unplacedRecords = 0

    private var slotOfCell: [Int: Int] = [:]
    private var cellOfSlot: [Int] = []
    /// Totals of slot i at [i × statistics.count, (i + 1) × statistics.count), in plan order. They
    /// saturate rather than trap: that needs over 2²³ customers at the largest allowed bound.
    private var totals: [Int64] = []

    /// An empty accumulator.
    public init(plan: AggregatePlan) {
        self.plan = plan
    }

    /// Adds one customer: skipped if a filter does not match, clamped to the public bounds otherwise.
    public mutating func add(_ record: AnalyticsRecord) {
        for filter in plan.filters {
            guard filter.recordIndex < record.dimensions.count, record.dimensions[filter.recordIndex] == filter.value
            else { return }
        }
        var cell = 0
        for dimension in plan.groupDimensions {
            guard dimension.recordIndex < record.dimensions.count, let bucket = record.dimensions[dimension.recordIndex],
                let code = dimension.index[bucket]
            else {
                unplacedRecords += 1
                return
            }
            cell += code * dimension.stride
        }
        var activity: CustomerActivity?
        if let windows = plan.windows {
            let summary = CustomerActivity(record, windows)
            if plan.groupsBySegment {
                cell += plan.configuration.rfm.segment(
                    daysSinceLastPurchase: summary.daysSinceLastPurchase(windows),
                    purchasesLastYear: summary.purchasesLastYear, spendLastYear: summary.spendLastYear)
            }
            activity = summary
        }
        let base = slot(of: cell) * plan.statistics.count
        for (offset, statistic) in plan.statistics.enumerated() {
            totals[base + offset] = totals[base + offset].saturatingAdd(contribution(statistic, record, activity))
        }
    }

    /// Adds another accumulator's totals, e.g. from the other half of the records on another core.
    public mutating func merge(_ other: AnalyticsAccumulator) {
        precondition(
            plan.query == other.plan.query && plan.fingerprint == other.plan.fingerprint,
            "only accumulators of the same plan can be merged")
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

    /// One customer's share of one total, already clamped so that it respects the total's sensitivity.
    private func contribution(_ statistic: Statistic, _ record: AnalyticsRecord, _ activity: CustomerActivity?) -> Int64 {
        switch statistic {
        case .count:
            return 1
        case .fieldSum(let field):
            return value(record, field)?.clamped(to: plan.configuration.fields[field].bounds) ?? 0
        case .fieldCount(let field):
            return value(record, field) == nil ? 0 : 1
        case .marginSum:
            return activity?.windowMargin.clamped(to: plan.configuration.lifetimeValue.windowMargin) ?? 0
        case .activeYearBefore:
            return activity?.boughtYearBefore == true ? 1 : 0
        case .retained:
            return activity.map { $0.boughtYearBefore && $0.boughtLastYear } == true ? 1 : 0
        case .walletSum:
            return activity?.shareOfWallet ?? 0
        case .walletCount:
            return activity?.shareOfWallet == nil ? 0 : 1
        }
    }

    private func value(_ record: AnalyticsRecord, _ field: Int) -> Int64? {
        field < record.fields.count ? record.fields[field] : nil
    }
}
