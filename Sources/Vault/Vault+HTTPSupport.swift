extension Vault {
    /// The latest signed checkpoint, for a principal allowed to fetch audit proofs (auditors, and
    /// customers checking their own entries): the HTTP API serves it only to them, as it does the
    /// proofs, while the CLI's operator at the console uses `checkpoint()` directly.
    public func checkpoint(by principal: Principal) async throws -> String {
        _ = try auditScope(nil, principal, allowCustomer: true)
        return try await checkpoint()
    }
}
