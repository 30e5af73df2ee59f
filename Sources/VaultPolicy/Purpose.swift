/// A purpose of processing and the legal basis that allows it.
public struct Purpose: Sendable, Hashable {
    /// The purpose's name, in lower_snake_case.
    public let name: String
    /// The legal basis (GDPR Art. 6(1)) the purpose rests on.
    public let basis: LegalBasis
    /// Whether the purpose only ever sees aggregates, never a customer's row.
    public let aggregateOnly: Bool
    /// What the purpose is for, in words a customer understands.
    public let description: String

    /// The legal bases the vault knows.
    public enum LegalBasis: String, Sendable, Hashable, CaseIterable, Codable {
        /// Needed to perform the contract with the customer (Art. 6(1)(b)).
        case contract
        /// Required by law (Art. 6(1)(c)).
        case legalObligation = "legal_obligation"
        /// The firm's legitimate interest; the customer may object (Art. 6(1)(f), Art. 21).
        case legitimateInterest = "legitimate_interest"
        /// The customer's consent, which must be granted and not withdrawn (Art. 6(1)(a), Art. 7).
        case consent

        /// The basis in words, for reasons.
        var words: String {
            switch self {
            case .contract: "contract"
            case .legalObligation: "legal obligation"
            case .legitimateInterest: "legitimate interest"
            case .consent: "consent"
            }
        }
    }
}
