public import Foundation
import VaultAnalytics
import VaultPolicy
import VaultStore

/// Deterministic synthetic customers for the default policy's customer information file: the
/// same seed and reference day always give the same customers (used by `cvault generate`, the
/// demo, tests and benchmarks).
public struct SyntheticCustomers: Sendable {
    /// The first customer's number and the id prefix (`c-0000001`, …).
    public let seed: UInt64
    /// Purchases fall in the three years before this day (UTC).
    public let asOf: Date

    /// A generator.
    public init(seed: UInt64, asOf: Date) {
        self.seed = seed
        self.asOf = asOf
    }

    static let regions = ["north", "south", "east", "west", "central"]
    static let segments = ["new", "active", "loyal", "lapsed"]
    static let channels = ["email", "sms", "phone", "post", "none"]
    static let categories = ["grocery", "garden", "kitchen", "clothing", "electronics", "toys", "beauty", "sports"]
    /// Category pairs bought together more often than chance.
    static let partners = [
        "grocery": "kitchen", "kitchen": "grocery", "garden": "sports", "sports": "garden",
        "clothing": "beauty", "beauty": "clothing", "electronics": "toys", "toys": "electronics",
    ]
    static let firstNames = [
        "Ada", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Iris", "Jonas", "Kemi", "Liam",
        "Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Victor", "Wen", "Yusuf", "Zoe",
    ]
    static let lastNames = [
        "Abbott", "Baptiste", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova", "Jensen",
        "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quint", "Rossi", "Schmidt", "Tanaka",
    ]

    /// The customer with 0-based `index`.
    public func customer(_ index: Int) -> CustomerRecord {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index))
        let id = "c-" + String(index + 1).leftPadded(to: 7)
        let first = Self.firstNames[rng.below(Self.firstNames.count)]
        let last = Self.lastNames[rng.below(Self.lastNames.count)]
        let today = DayNumber.of(asOf)
        let segmentIndex = rng.below(Self.segments.count)
        let drawn = Self.categories.filter { _ in rng.below(4) == 0 }

        var categorySpend: [String: Int64] = [:]
        for category in drawn.isEmpty ? [Self.categories[rng.below(Self.categories.count)]] : drawn {
            categorySpend[category] = Int64(100 + rng.below(3_000)) * 100
        }
        // Categories go together as in a real shop (garden with sports, kitchen with grocery, …):
        // a customer interested in one is often interested in its partner. A stream of its own
        // keeps every other value the same as before partners existed.
        var affinity = SplitMix64(seed: (seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index)) ^ 0xA5A5_5A5A_C3C3_3C3C)
        var interests = drawn
        for category in categorySpend.keys.sorted() {
            guard let partner = Self.partners[category], categorySpend[partner] == nil, affinity.below(100) < 60 else { continue }
            if drawn.contains(category) { interests.append(partner) }
            categorySpend[partner] = Int64(100 + affinity.below(3_000)) * 100
        }
        interests = Self.categories.filter(interests.contains)

        // Active and loyal customers buy more often; 0–40 purchases over three years.
        let purchaseCount = min(40, rng.below([6, 26, 41, 11][segmentIndex]))
        var purchases: [Purchase] = []
        for _ in 0..<purchaseCount {
            let amount = Int64(500 + rng.below(49_500))
            let category = categorySpend.keys.sorted()[rng.below(categorySpend.count)]
            purchases.append(
                Purchase(
                    day: today - Int32(rng.below(3 * 365)),
                    amountCents: amount,
                    marginCents: amount * Int64(10 + rng.below(31)) / 100,
                    category: category
                )
            )
        }
        purchases.sort { ($0.day, $0.amountCents) < ($1.day, $1.amountCents) }

        let fields: [String: FieldValue] = [
            "name": .string("\(first) \(last)"),
            "email": .string("\(first.lowercased()).\(last.lowercased()).\(index + 1)@example.com"),
            "phone": .string("+44 7700 \(String(100_000 + rng.below(900_000)))"),
            "birth_year": .integer(Int64(1940 + rng.below(67))),
            "region": .string(Self.regions[rng.below(Self.regions.count)]),
            "postcode": .string(
                "\(Character(UnicodeScalar(65 + UInt8(rng.below(26)))))\(Character(UnicodeScalar(65 + UInt8(rng.below(26)))))\(1 + rng.below(20)) \(rng.below(10))\(Character(UnicodeScalar(65 + UInt8(rng.below(26)))))\(Character(UnicodeScalar(65 + UInt8(rng.below(26)))))"
            ),
            "segment": .string(Self.segments[segmentIndex]),
            "preferred_channel": .string(Self.channels[rng.below(Self.channels.count)]),
            "price_sensitivity": .integer(Int64(1 + rng.below(5))),
            "product_interests": .stringList(interests),
            "category_spend": .decimalMap(categorySpend),
            "satisfaction": .integer(Int64(1 + rng.below(10))),
            "purchases": .purchases(purchases),
        ]

        var consents: [String: ConsentRecord.Status] = [:]
        consents["marketing"] = rng.below(100) < 40 ? .granted : .withdrawn
        consents["personalization"] = rng.below(100) < 50 ? .granted : .withdrawn
        if rng.below(100) < 70 { consents["analytics"] = .granted }
        if rng.below(100) < 2 { consents["fraud_prevention"] = .objected }
        return CustomerRecord(id: id, fields: fields, consents: consents)
    }
}

/// SplitMix64: a tiny, fast, deterministic generator for synthetic data (never for secrets).
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (the slight modulo bias is irrelevant for synthetic data).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

extension Vault {
    /// `count` synthetic customers as JSON Lines for the built-in default policy.
    public static func syntheticJSONLines(count: Int, seed: UInt64, asOf: Date) throws -> LazyMapSequence<Range<Int>, String> {
        let policy = try parsePolicy(defaultPolicyText, fileName: "default.yaml")
        let generator = SyntheticCustomers(seed: seed, asOf: asOf)
        return (0..<count).lazy.map { generator.customer($0).jsonLine(policy: policy) }
    }
}
