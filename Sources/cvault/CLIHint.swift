import Vault

/// The command-line flags that act on a facade error, by its code. The facade's messages reach HTTP
/// clients too, so they name what is wrong, never a flag; the command line adds how to fix it here.
enum CLIHint {
    static func `for`(_ error: VaultError) -> String? {
        switch error.code {
        case .customerExists: "cvault import --upsert replaces them"
        case .keyFileRequired: "pass --key-file, or unset CVAULT_PASSPHRASE"
        case .wrongRootKey: "check --key-file or CVAULT_PASSPHRASE"
        case .noVault: "pass --vault DIR, or set CVAULT_HOME"
        case .confirmationRequired: "add --confirm"
        case .customerRequired: "cvault token issue --role customer --customer ID"
        case .nameRequired, .badName: "cvault token issue --role ROLE --name NAME"
        case .badDuration: "--expires takes an ISO 8601 duration such as P30D or PT12H"
        case .unauthenticated: "pass --token or set CVAULT_TOKEN"
        case .moveFromServer: "cvault storage copy --to sqlite:DIR copies it into a folder first"
        default: nil
        }
    }
}
