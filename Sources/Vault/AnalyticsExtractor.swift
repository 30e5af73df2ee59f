import VaultAnalytics

/// Reads the fields an aggregate needs straight from decrypted record bytes into a positional
/// `AnalyticsRecord`: names are compared as bytes, bucket labels and categories are interned, so
/// a million customers cost no per-field string or dictionary.
struct AnalyticsExtractor {
    private enum Slot {
        case dimension(index: Int, bucket: Int?)
        case measure(index: Int)
        case purchases
        case spend
    }

    private let setup: Vault.AnalyticsSetup
    private let slots: [(name: [UInt8], slot: Slot)]
    /// Per dimension: the domain's labels as bytes, for string matching.
    private let domainBytes: [[[UInt8]]]
    private var bucketLabels: [Int: [Int: String]] = [:]
    private var categories: [[UInt8]] = []

    private var dimensions: [String?] = []
    private var fields: [Int64?] = []
    private var purchases: [AnalyticsRecord.Purchase] = []
    private var spend: Int64?
    private var excluded: Set<String> = []

    init(setup: Vault.AnalyticsSetup) {
        self.setup = setup
        var slots: [(name: [UInt8], slot: Slot)] = []
        for (index, source) in setup.sources.enumerated() {
            slots.append((Array(source.field.utf8), .dimension(index: index, bucket: source.bucket)))
        }
        for (index, source) in setup.measureSources.enumerated() {
            slots.append((Array(source.field.utf8), .measure(index: index)))
        }
        if let name = setup.purchasesField { slots.append((Array(name.utf8), .purchases)) }
        if let name = setup.spendField { slots.append((Array(name.utf8), .spend)) }
        self.slots = slots
        self.domainBytes = setup.configuration.dimensions.map { $0.domain.map { Array($0.utf8) } }
    }

    /// Starts a customer; fields in `excluded` (restricted by an open contest) stay missing.
    mutating func begin(excluding excluded: Set<String>?) {
        dimensions = Array(repeating: nil, count: setup.sources.count)
        fields = Array(repeating: nil, count: setup.measureSources.count)
        purchases = []
        spend = nil
        self.excluded = excluded ?? []
    }

    /// Reads one decrypted record of the current customer.
    mutating func read(_ plaintext: [UInt8]) throws {
        try plaintext.withUnsafeBytes { buffer in
            try ProfileCodec.forEachField(in: buffer) { name, tag, reader in
                guard let slot = slots.first(where: { $0.name.elementsEqual(name) })?.slot,
                    excluded.isEmpty || !excluded.contains(String(decoding: name, as: UTF8.self))
                else { return try reader.skip(tag: tag) }
                switch (slot, tag) {
                case (.dimension(let index, _), 1):
                    let bytes = try reader.stringBytes()
                    if let position = domainBytes[index].firstIndex(where: { $0.elementsEqual(bytes) }) {
                        dimensions[index] = setup.configuration.dimensions[index].domain[position]
                    }
                case (.dimension(let index, let bucket), 2):
                    dimensions[index] = label(try reader.signed(), width: bucket ?? 1)
                case (.measure(let index), 2), (.measure(let index), 3):
                    fields[index] = try reader.signed()
                case (.measure(let index), 6):
                    fields[index] = try Self.sum(&reader)
                case (.spend, 6):
                    spend = try Self.sum(&reader)
                case (.purchases, 7):
                    let count = try reader.count()
                    purchases.reserveCapacity(count)
                    for _ in 0..<count {
                        let day = try reader.int32()
                        let amount = try reader.signed()
                        let margin = try reader.signed()
                        let category = try category(reader.stringBytes())
                        purchases.append(.init(day: day, amount: amount, margin: margin, category: category))
                    }
                default:
                    // A value of another type than the policy says: leave it out rather than guess.
                    try reader.skip(tag: tag)
                }
            }
        }
    }

    /// The customer's record.
    func finish() -> AnalyticsRecord {
        AnalyticsRecord(dimensions: dimensions, fields: fields, purchases: purchases, statedCategorySpend: spend)
    }

    private mutating func label(_ value: Int64, width: Int) -> String {
        let start = value >= 0 ? Int(value) / width * width : (Int(value) - width + 1) / width * width
        if let known = bucketLabels[width]?[start] { return known }
        let text = Vault.bucketLabel(start, width: width)
        bucketLabels[width, default: [:]][start] = text
        return text
    }

    private mutating func category(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        if let index = categories.firstIndex(where: { $0.elementsEqual(bytes) }) { return UInt16(truncatingIfNeeded: index) }
        categories.append(Array(bytes))
        return UInt16(truncatingIfNeeded: categories.count - 1)
    }

    private static func sum(_ reader: inout ByteReader) throws -> Int64 {
        var total: Int64 = 0
        for _ in 0..<(try reader.count()) {
            _ = try reader.stringBytes()
            total &+= try reader.signed()
        }
        return total
    }
}
