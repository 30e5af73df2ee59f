import VaultAnalytics
import VaultAudit
import VaultPolicy

extension AuditReason {
    /// The reason a policy decision gives, as its entry records it.
    init(_ code: ReasonCode) { self.init(rawValue: code.rawValue) }

    /// A refusal's reason: the error's stable code.
    init(_ error: VaultError) { self.init(rawValue: error.code.rawValue) }

    /// A refused aggregate's reason: the analytics error's stable code.
    init(_ error: AnalyticsError) { self.init(rawValue: error.code) }
}
