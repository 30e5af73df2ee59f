/// Overwrites `bytes` with zeros through `OPENSSL_cleanse`, which the optimiser cannot drop.
public func zeroize(_ bytes: inout [UInt8]) {
    cleanse(&bytes)
}
