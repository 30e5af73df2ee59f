import Vault

/// The command-line flags that act on a facade error, by its code. The facade's messages reach HTTP
/// clients too, so they name what is wrong, never a flag; the command line adds how to fix it here.
enum CLIHint {
    static func `for`(_ error: VaultError) -> String? {
        switch error.code {
        case "customer_exists": "cvault import --upsert replaces them"
        case "key_file_required": "pass --key-file, or unset CVAULT_PASSPHRASE"
        case "wrong_root_key": "check --key-file or CVAULT_PASSPHRASE"
        case "no_vault": "pass --vault DIR, or set CVAULT_HOME"
        case "confirmation_required": "add --confirm"
        case "customer_required": "cvault token issue --role customer --customer ID"
        case "name_required", "bad_name": "cvault token issue --role ROLE --name NAME"
        case "bad_duration": "--expires takes an ISO 8601 duration such as P30D or PT12H"
        case "unauthenticated": "pass --token or set CVAULT_TOKEN"
        case "move_from_server": "cvault storage copy --to sqlite:DIR copies it into a folder first"
        default: nil
        }
    }
}
