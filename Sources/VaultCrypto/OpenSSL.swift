import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Algorithms fetched from the default provider once per process: fetching is the expensive
/// part of an EVP call in OpenSSL 3, and fetched algorithm objects are safe to share.
enum Algorithms {
    nonisolated(unsafe) static let aes256gcm: OpaquePointer = fetch(EVP_CIPHER_fetch(nil, "AES-256-GCM", nil), "EVP_CIPHER_fetch")
    nonisolated(unsafe) static let sha256: OpaquePointer = fetch(EVP_MD_fetch(nil, "SHA256", nil), "EVP_MD_fetch")
    nonisolated(unsafe) static let hkdf: OpaquePointer = fetch(EVP_KDF_fetch(nil, "HKDF", nil), "EVP_KDF_fetch")
    nonisolated(unsafe) static let hmac: OpaquePointer = fetch(EVP_MAC_fetch(nil, "HMAC", nil), "EVP_MAC_fetch")

    private static func fetch(_ pointer: OpaquePointer?, _ function: String) -> OpaquePointer {
        guard let pointer else {
            // Without these algorithms the vault cannot run at all (e.g. a broken FIPS config).
            fatalError("OpenSSL: \(function) found no implementation; check the OpenSSL configuration")
        }
        return pointer
    }
}

/// Clears this thread's OpenSSL error queue.
enum ERRClear {
    static func clear() { ERR_clear_error() }
}

/// One OpenSSL context per thread and purpose: contexts are not thread-safe, but re-initialising
/// one is much cheaper than allocating one per call.
struct ThreadLocalContext: @unchecked Sendable {
    private let key: pthread_key_t
    private let make: @Sendable () -> OpaquePointer?

    init(make: @escaping @Sendable () -> OpaquePointer?, free: @convention(c) (UnsafeMutableRawPointer?) -> Void) {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, free) == 0, "pthread_key_create failed")
        self.key = key
        self.make = make
    }

    /// This thread's context, created on first use.
    func get() throws -> OpaquePointer {
        if let raw = pthread_getspecific(key) { return OpaquePointer(raw) }
        guard let context = make() else { throw CryptoError.openSSL("context allocation") }
        pthread_setspecific(key, UnsafeRawPointer(context))
        return context
    }

    static let encrypt = ThreadLocalContext(
        make: {
            guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
            guard EVP_EncryptInit_ex2(ctx, Algorithms.aes256gcm, nil, nil, nil) == 1 else {
                EVP_CIPHER_CTX_free(ctx)
                return nil
            }
            return ctx
        },
        free: { EVP_CIPHER_CTX_free(OpaquePointer($0)) }
    )

    static let decrypt = ThreadLocalContext(
        make: {
            guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
            guard EVP_DecryptInit_ex2(ctx, Algorithms.aes256gcm, nil, nil, nil) == 1 else {
                EVP_CIPHER_CTX_free(ctx)
                return nil
            }
            return ctx
        },
        free: { EVP_CIPHER_CTX_free(OpaquePointer($0)) }
    )

    static let digest = ThreadLocalContext(
        make: { EVP_MD_CTX_new() },
        free: { EVP_MD_CTX_free(OpaquePointer($0)) }
    )
}
