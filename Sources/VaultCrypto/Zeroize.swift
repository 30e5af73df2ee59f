import COpenSSL

/// Overwrites `bytes` with zeros through `OPENSSL_cleanse`, which the optimiser cannot drop.
package func zeroize(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
    }
}
