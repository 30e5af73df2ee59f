import Foundation
import Testing
import VaultPolicy

/// Every role × purpose × consent state × field of the default policy against a table written from
/// the policy's intent, not computed from the parsed policy.
struct DecisionTableTests {
    /// Which fields each role may read under each purpose, as `policies/default.yaml` intends.
    static let readable: [String: [String: Set<String>]] = [
        "support": [
            "service": ["name", "email", "phone", "postcode", "region", "preferred_channel", "purchases"],
            "fraud_prevention": ["name", "email", "phone", "postcode", "purchases"],
            "legal_hold": ["name", "email", "postcode", "purchases"],
        ],
        "marketing": [
            "marketing": ["name", "email", "phone", "preferred_channel", "segment", "region", "product_interests"],
            "personalization": ["segment", "product_interests", "price_sensitivity", "category_spend", "purchases"],
        ],
    ]

    static let writable: [String: [String: Set<String>]] = [
        "support": ["service": ["name", "email", "phone", "postcode", "region", "preferred_channel"]]
    ]

    static let bases: [String: String] = [
        "service": "contract", "fraud_prevention": "legitimate_interest", "marketing": "consent",
        "personalization": "consent", "analytics": "consent", "legal_hold": "legal_obligation",
    ]

    static let fields = [
        "name", "email", "phone", "birth_year", "region", "postcode", "segment", "preferred_channel",
        "price_sensitivity", "product_interests", "category_spend", "satisfaction", "purchases",
    ]

    /// The consent states a customer can be in for one purpose.
    enum ConsentCase: CaseIterable {
        case absent, granted, withdrawn, objected

        func record(at date: Date) -> ConsentRecord? {
            switch self {
            case .absent: nil
            case .granted: ConsentRecord(.granted, at: date)
            case .withdrawn: ConsentRecord(.withdrawn, at: date)
            case .objected: ConsentRecord(.objected, at: date)
            }
        }
    }

    /// The code the basis gives, by legal basis and consent state.
    static func basisCode(_ basis: String, _ consent: ConsentCase) -> ReasonCode {
        switch (basis, consent) {
        case ("contract", _): .allowedContract
        case ("legal_obligation", _): .allowedLegalObligation
        case ("legitimate_interest", .objected): .objected
        case ("legitimate_interest", _): .allowedLegitimateInterest
        case ("consent", .absent): .consentMissing
        case ("consent", .granted): .allowedConsent
        case ("consent", .withdrawn): .consentWithdrawn
        case ("consent", .objected): .objected
        default: fatalError("unknown basis \(basis)")
        }
    }

    static func expectedRead(role: String, purpose: String, field: String, consent: ConsentCase) -> ReasonCode {
        switch role {
        case "customer": return .selfOnly
        case "analyst": return .aggregateOnly
        case "auditor", "operator": return .operationNotPermitted
        default: break
        }
        if purpose == "analytics" { return .aggregateOnly }
        guard let grants = readable[role]?[purpose] else { return .roleNotPermittedPurpose }
        guard grants.contains(field) else { return .fieldNotGranted }
        return basisCode(bases[purpose]!, consent)
    }

    static func expectedWrite(role: String, purpose: String, field: String, consent: ConsentCase) -> ReasonCode {
        switch role {
        case "analyst": return .aggregateOnly
        case "customer", "auditor", "operator": return .operationNotPermitted
        case "marketing": return .operationNotPermitted
        default: break
        }
        if purpose == "analytics" { return .aggregateOnly }
        guard let grants = writable[role]?[purpose] else {
            return readable[role]?[purpose] == nil ? .roleNotPermittedPurpose : .fieldNotGranted
        }
        guard grants.contains(field) else { return .fieldNotGranted }
        return basisCode(bases[purpose]!, consent)
    }

    @Test func policyHasExactlyTheTabledNames() throws {
        let policy = try defaultPolicy()
        #expect(policy.fields.map(\.name) == Self.fields)
        #expect(Set(policy.purposes.map(\.name)) == Set(Self.bases.keys))
        #expect(policy.roles.map(\.name) == RoleName.allCases)
        for purpose in policy.purposes {
            #expect(purpose.basis.rawValue == Self.bases[purpose.name])
        }
    }

    @Test(arguments: RoleName.allCases)
    func readsMatchTheTable(_ role: RoleName) throws {
        let policy = try defaultPolicy()
        let now = utc("2026-11-02T09:00Z")
        var checked = 0
        for purpose in Self.bases.keys.sorted() {
            for consent in ConsentCase.allCases {
                let customer = CustomerState(consent: consent.record(at: utc("2026-10-01T09:00Z")).map { [purpose: $0] } ?? [:])
                let decision = policy.decideRead(role: role.rawValue, purpose: purpose, fields: Self.fields, customer: customer, now: now)
                #expect(decision.fields.map(\.field) == Self.fields)
                for item in decision.fields {
                    let expected = Self.expectedRead(role: role.rawValue, purpose: purpose, field: item.field, consent: consent)
                    #expect(item.decision.code == expected, "\(role) \(purpose) \(consent) \(item.field): \(item.decision.reason)")
                    #expect(item.allowed == expected.allows)
                    #expect(item.decision.reason.hasPrefix(expected.allows ? "allowed: " : "denied: "))
                    checked += 1
                }
            }
        }
        #expect(checked == Self.bases.count * ConsentCase.allCases.count * Self.fields.count)
    }

    @Test(arguments: RoleName.allCases)
    func writesMatchTheTable(_ role: RoleName) throws {
        let policy = try defaultPolicy()
        let now = utc("2026-11-02T09:00Z")
        for purpose in Self.bases.keys.sorted() {
            for consent in ConsentCase.allCases {
                let customer = CustomerState(consent: consent.record(at: utc("2026-10-01T09:00Z")).map { [purpose: $0] } ?? [:])
                let decision = policy.decideWrite(role: role.rawValue, purpose: purpose, fields: Self.fields, customer: customer, now: now)
                for item in decision.fields {
                    let expected = Self.expectedWrite(role: role.rawValue, purpose: purpose, field: item.field, consent: consent)
                    #expect(item.decision.code == expected, "\(role) \(purpose) \(consent) \(item.field): \(item.decision.reason)")
                }
            }
        }
    }

    @Test func customerReadsEveryOwnFieldWhateverThePurposeOrState() throws {
        let policy = try defaultPolicy()
        let customer = CustomerState(
            consent: ["marketing": ConsentRecord(.withdrawn, at: utc("2026-01-01"))],
            disputedFields: ["email"],
            collectedAt: ["email": utc("2001-01-01")]
        )
        for purpose in [nil] + Self.bases.keys.map(Optional.some) {
            let decision = policy.decideRead(
                role: "customer",
                purpose: purpose,
                fields: Self.fields + ["shoe_size"],
                customer: customer,
                isSelf: true,
                now: utc("2026-11-02")
            )
            #expect(decision.fields.dropLast().allSatisfy { $0.decision.code == .allowedSelf })
            #expect(decision.fields.last?.decision.code == .unknownField)
        }
    }

    @Test func theReasonsReadAsDocumented() throws {
        let policy = try defaultPolicy()
        let now = utc("2026-11-02T09:00Z")
        func reason(_ role: String, _ purpose: String?, _ field: String, _ customer: CustomerState = CustomerState(), isSelf: Bool = false) -> String
        {
            policy.decideRead(role: role, purpose: purpose, fields: [field], customer: customer, isSelf: isSelf, now: now).fields[0].decision.reason
        }
        let withdrawn = CustomerState(consent: ["marketing": ConsentRecord(.withdrawn, at: utc("2026-11-01T10:00Z"))])
        // Staff learn that the basis does not hold, never when the customer chose.
        #expect(reason("marketing", "marketing", "email", withdrawn) == "denied: purpose marketing needs consent; consent withdrawn by the customer")
        #expect(
            policy.basisHolds(purpose: "marketing", consent: withdrawn.consent, now: now).reason
                == "denied: purpose marketing needs consent; consent withdrawn 2026-11-01T10:00Z"
        )
        let disputed = CustomerState(consent: ["marketing": ConsentRecord(.granted, at: utc("2026-10-01T09:00Z"))], disputedFields: ["email"])
        #expect(reason("marketing", "marketing", "email", disputed) == "denied: field email is disputed and marketing is restricted while disputed")
        #expect(
            reason("marketing", "marketing", "region", disputed)
                == "allowed: role marketing may read region for purpose marketing; the customer consented"
        )
        #expect(reason("analyst", "analytics", "region") == "denied: role analyst reads aggregates only")
        #expect(
            reason("marketing", "marketing", "email") == "denied: purpose marketing needs consent; the customer has not granted it (default: denied)"
        )
        #expect(reason("support", "service", "email") == "allowed: role support may read email for purpose service (basis: contract)")
        #expect(reason("support", "service", "birth_year") == "denied: purpose service does not let role support read field birth_year")
        #expect(reason("marketing", "service", "email") == "denied: role marketing may not act under purpose service")
        #expect(reason("support", "analytics", "email") == "denied: purpose analytics is aggregate-only; no role reads rows under it")
        #expect(reason("auditor", "service", "email") == "denied: role auditor may not read customer rows")
        #expect(reason("customer", "service", "email") == "denied: role customer reads only the customer's own record")
        #expect(reason("intern", "service", "email") == "denied: role intern is not defined in policy retail-default")
        #expect(reason("support", "billing", "email") == "denied: purpose billing is not defined in policy retail-default")
        #expect(reason("support", nil, "email") == "denied: no purpose given; role support must name the purpose of the read")
        #expect(reason("support", "service", "iban") == "denied: field iban is not defined in policy retail-default")
        let objected = CustomerState(consent: ["fraud_prevention": ConsentRecord(.objected, at: utc("2026-11-01T10:00Z"))])
        #expect(reason("support", "fraud_prevention", "email", objected) == "denied: the customer objected to purpose fraud_prevention")
        #expect(
            reason("support", "fraud_prevention", "email")
                == "allowed: role support may read email for purpose fraud_prevention (basis: legitimate interest)"
        )
        #expect(reason("support", "legal_hold", "email") == "allowed: role support may read email for purpose legal_hold (basis: legal obligation)")
    }

    @Test func disputedFieldsAreRestrictedOnlyForTheNamedPurposes() throws {
        let policy = try defaultPolicy()
        let granted = ConsentRecord(.granted, at: utc("2026-01-01"))
        let customer = CustomerState(consent: ["marketing": granted, "personalization": granted], disputedFields: ["email", "segment", "purchases"])
        let now = utc("2026-11-02")
        #expect(policy.decideRead(role: "support", purpose: "service", fields: ["email", "purchases"], customer: customer, now: now).allowsAll)
        #expect(
            policy.decideRead(role: "marketing", purpose: "marketing", fields: ["email", "segment", "name"], customer: customer, now: now).fields.map(
                \.decision.code
            )
                == [.restrictedWhileDisputed, .restrictedWhileDisputed, .allowedConsent]
        )
        #expect(
            policy.decideRead(
                role: "marketing",
                purpose: "personalization",
                fields: ["segment", "purchases", "category_spend"],
                customer: customer,
                now: now
            ).fields.map(\.decision.code)
                == [.restrictedWhileDisputed, .restrictedWhileDisputed, .allowedConsent]
        )
        // A disputed field is never written directly, even where reading it stays allowed.
        let write = policy.decideWrite(role: "support", purpose: "service", fields: ["email", "phone"], customer: customer, now: now)
        #expect(write.fields.map(\.decision.code) == [.restrictedWhileDisputed, .allowedContract])
        #expect(write.fields[0].decision.reason == "denied: field email is disputed; it changes only through the contest's resolution")
    }

    @Test func retentionExpiresExactlyAtTheEndOfThePeriod() throws {
        let policy = try defaultPolicy()
        let customer = CustomerState(collectedAt: ["email": utc("2020-02-29T12:00Z"), "purchases": utc("2020-02-29T12:00Z")])
        func codes(at now: String) -> [ReasonCode] {
            policy.decideRead(role: "support", purpose: "service", fields: ["email", "purchases", "phone"], customer: customer, now: utc(now)).fields
                .map(\.decision.code)
        }
        // email keeps P6Y, purchases P7Y; phone has no collection time, so retention is not checked.
        #expect(codes(at: "2026-02-28T11:59Z") == [.allowedContract, .allowedContract, .allowedContract])
        #expect(codes(at: "2026-02-28T12:00Z") == [.retentionExpired, .allowedContract, .allowedContract])
        #expect(codes(at: "2027-02-28T12:00Z") == [.retentionExpired, .retentionExpired, .allowedContract])
        let reason = policy.decideRead(role: "support", purpose: "service", fields: ["email"], customer: customer, now: utc("2026-06-01")).fields[0]
            .decision.reason
        #expect(reason == "denied: field email is past its retention of P6Y (collected 2020-02-29T12:00Z, expired 2026-02-28T12:00Z)")
    }

    @Test func consentStatesAreReadAtTheirTime() throws {
        let policy = try defaultPolicy()
        let now = utc("2026-11-02T09:00Z")
        let future = CustomerState(consent: ["marketing": ConsentRecord(.granted, at: utc("2026-12-01"))])
        let decision = policy.decideRead(role: "marketing", purpose: "marketing", fields: ["email"], customer: future, now: now)
        #expect(decision.fields[0].decision.code == .consentMissing)
        #expect(decision.fields[0].decision.reason == "denied: purpose marketing needs consent; the grant has not taken effect yet")
        #expect(
            policy.basisHolds(purpose: "marketing", consent: future.consent, now: now).reason
                == "denied: purpose marketing needs consent; the grant takes effect only at 2026-12-01T00:00Z"
        )
        // Consent for another purpose does not carry over.
        let other = CustomerState(consent: ["personalization": ConsentRecord(.granted, at: utc("2026-01-01"))])
        #expect(
            policy.decideRead(role: "marketing", purpose: "marketing", fields: ["email"], customer: other, now: now).fields[0].decision.code
                == .consentMissing
        )
    }

    @Test func basisHoldsAnswersPerCustomer() throws {
        let policy = try defaultPolicy()
        let now = utc("2026-11-02")
        let granted = ["analytics": ConsentRecord(.granted, at: utc("2026-01-01"))]
        let withdrawn = ["analytics": ConsentRecord(.withdrawn, at: utc("2026-02-01"))]
        #expect(policy.basisHolds(purpose: "analytics", consent: granted, now: now).allowed)
        #expect(policy.basisHolds(purpose: "analytics", consent: withdrawn, now: now).code == .consentWithdrawn)
        #expect(policy.basisHolds(purpose: "analytics", consent: [:], now: now).code == .consentMissing)
        #expect(policy.basisHolds(purpose: "service", consent: [:], now: now).code == .allowedContract)
        #expect(policy.basisHolds(purpose: "nope", consent: granted, now: now).code == .unknownPurpose)
        #expect(!policy.purposeHolds("nope", consent: nil, now: now))
        // The fast check agrees with the explained one for every purpose and state.
        for purpose in Self.bases.keys {
            for consent in ConsentCase.allCases {
                for at in [utc("2026-01-01"), utc("2027-01-01")] {
                    let record = consent.record(at: at)
                    let explained = policy.basisHolds(purpose: purpose, consent: record.map { [purpose: $0] } ?? [:], now: now)
                    #expect(policy.purposeHolds(purpose, consent: record, now: now) == explained.allowed)
                }
            }
        }
    }

    @Test func aggregatesFollowTheAnalyticsUse() throws {
        let policy = try defaultPolicy()
        let allowed = policy.decideAggregate(
            role: "analyst",
            purpose: "analytics",
            groupBy: ["region", "birth_year"],
            measures: ["purchases", "category_spend"]
        )
        #expect(allowed.allowsAll)
        let mixed = policy.decideAggregate(
            role: "analyst",
            purpose: "analytics",
            groupBy: ["satisfaction", "email", "shoe_size"],
            measures: ["region"]
        )
        #expect(mixed.fields.map(\.decision.code) == [.analyticsUseMismatch, .fieldNotGranted, .unknownField, .analyticsUseMismatch])
        #expect(
            policy.decideAggregate(role: "marketing", purpose: "analytics", groupBy: ["region"], measures: []).fields[0].decision.code
                == .operationNotPermitted
        )
        #expect(
            policy.decideAggregate(role: "analyst", purpose: "marketing", groupBy: ["region"], measures: []).fields[0].decision.code
                == .roleNotPermittedPurpose
        )
        #expect(
            policy.decideAggregate(role: "analyst", purpose: "nope", groupBy: ["region"], measures: []).fields[0].decision.code == .unknownPurpose
        )
    }

    @Test func operationsAreAuthorizedPerRole() throws {
        let policy = try defaultPolicy()
        for role in RoleName.allCases {
            for operation in RoleOperation.allCases {
                let decision = policy.authorize(role: role.rawValue, operation: operation)
                let granted = policy.role(named: role.rawValue)?.operations.contains(operation) ?? false
                #expect(decision.allowed == granted)
                #expect(granted ? role.permittedOperations.contains(operation) : true)
            }
        }
        #expect(policy.authorize(role: "analyst", operation: .read).reason == "denied: role analyst reads aggregates only")
        #expect(policy.authorize(role: "operator", operation: .read).code == .operationNotPermitted)
        #expect(policy.authorize(role: "operator", operation: .rotateKeys).code == .allowedOperation)
        #expect(policy.authorize(role: "root", operation: .rotateKeys).code == .unknownRole)
    }

    @Test func decisionsEncodeAsFlatJSON() throws {
        let policy = try defaultPolicy()
        let decision = policy.decideRead(role: "analyst", purpose: "analytics", fields: ["region"], customer: CustomerState(), now: utc("2026-11-02"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(decision.fields[0]), as: UTF8.self)
        #expect(json == #"{"allowed":false,"code":"aggregate_only","field":"region","reason":"denied: role analyst reads aggregates only"}"#)
    }
}
