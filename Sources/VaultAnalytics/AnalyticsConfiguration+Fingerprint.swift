internal import Foundation
internal import VaultCrypto

extension AnalyticsConfiguration {
    /// SHA-256 (hex) of the configuration's canonical text, as-of date included: accumulators merge
    /// only when they were built against the same configuration.
    package var fingerprint: String { fingerprint(includingAsOf: true) }

    /// SHA-256 (hex) of the configuration's canonical text. Cache keys leave the as-of date out: an
    /// answer stays pinned while the data it was computed from is unchanged, however many days pass,
    /// so waiting a day does not buy a fresh draw of the noise.
    package func fingerprint(includingAsOf: Bool) -> String {
        var lines = ["analytics-configuration-v1"]
        for dimension in dimensions {
            lines.append(
                "dimension=\(CanonicalText.escape(dimension.name)):"
                    + CanonicalText.list(dimension.domain.map(CanonicalText.escape))
            )
        }
        for field in fields {
            lines.append("field=\(CanonicalText.escape(field.name)):\(field.bounds.lowerBound),\(field.bounds.upperBound)")
        }
        lines.append("k=\(minimumGroupSize)")
        lines.append("delta=\(suppressionDelta)")
        let clv = lifetimeValue
        lines.append(
            "clv=\(clv.discountRate),\(clv.retentionRate),\(clv.annualMargin.lowerBound),"
                + "\(clv.annualMargin.upperBound),\(clv.windowYears)"
        )
        lines.append(
            "rfm="
                + [rfm.recencyDays.map(String.init), rfm.frequency.map(String.init), rfm.monetary.map(String.init)]
                .map(CanonicalText.list).joined(separator: ":")
        )
        lines.append("wallet=" + (walletCategories.map { CanonicalText.list($0.sorted().map(String.init)) } ?? "all"))
        if includingAsOf { lines.append("as-of=\(asOf)") }
        return SHA256.hash(data: Array(lines.joined(separator: "\n").utf8)).hex
    }
}
