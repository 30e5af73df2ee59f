import Vault

/// The codes only the command line gives: its own files and arguments.
extension VaultError.Code {
    /// A storage destination is not a usable location.
    static let badDestination = Self(rawValue: "bad_destination")
    /// A chart could not be written.
    static let chartUnwritable = Self(rawValue: "chart_unwritable")
    /// The synthetic data has no suitable demo customer.
    static let demoData = Self(rawValue: "demo_data")
    /// The demo witness could not start.
    static let demoWitness = Self(rawValue: "demo_witness")
    /// A file named on the command line could not be read.
    static let fileUnreadable = Self(rawValue: "file_unreadable")
    /// A file named on the command line could not be written.
    static let fileUnwritable = Self(rawValue: "file_unwritable")
    /// An import file has invalid lines.
    static let invalidImport = Self(rawValue: "invalid_import")
    /// The passphrase was asked for but not given.
    static let passphraseMissing = Self(rawValue: "passphrase_missing")
    /// A policy file could not be read.
    static let policyUnreadable = Self(rawValue: "policy_unreadable")
}
