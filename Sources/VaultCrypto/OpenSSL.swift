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

/// One thread's OpenSSL context, and which key (by `SecureBytes.id`, 0 for none) it holds.
struct ContextSlot {
    let context: OpaquePointer
    /// Setting a key costs more than the rest of a small GCM operation (key expansion, GHASH
    /// table); a context that already holds the key is given only the new nonce.
    var keyID: UInt64 = 0
}

/// One OpenSSL context per thread and purpose: contexts are not thread-safe, but re-initialising
/// one is much cheaper than allocating one per call.
struct ThreadLocalContext: @unchecked Sendable {
    typealias Destructor = @convention(c) (UnsafeMutableRawPointer?) -> Void

    private let key: pthread_key_t
    private let make: @Sendable () -> OpaquePointer?
    private let destroy: Destructor

    /// `destroy` receives a slot pointer, at thread exit or when registering the slot failed.
    init(make: @escaping @Sendable () -> OpaquePointer?, destroy: Destructor) {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, destroy) == 0, "pthread_key_create failed")
        self.key = key
        self.make = make
        self.destroy = destroy
    }

    /// This thread's slot, created on first use; valid until the thread exits.
    func slot() throws -> UnsafeMutablePointer<ContextSlot> {
        if let raw = pthread_getspecific(key) { return raw.assumingMemoryBound(to: ContextSlot.self) }
        guard let context = make() else { throw CryptoError.openSSL("context allocation") }
        let slot = UnsafeMutablePointer<ContextSlot>.allocate(capacity: 1)
        slot.initialize(to: ContextSlot(context: context))
        // Unregistered, the slot would leak and a new one be made on every call.
        guard pthread_setspecific(key, slot) == 0 else {
            destroy(slot)
            throw CryptoError.openSSL("pthread_setspecific")
        }
        return slot
    }

    /// This thread's context, created on first use.
    func get() throws -> OpaquePointer { try slot().pointee.context }

    static let encrypt = ThreadLocalContext(make: { makeCipher(encrypting: true) }, destroy: destroyCipherSlot)
    static let decrypt = ThreadLocalContext(make: { makeCipher(encrypting: false) }, destroy: destroyCipherSlot)
    static let digest = ThreadLocalContext(make: { EVP_MD_CTX_new() }, destroy: destroyDigestSlot)

    private static func makeCipher(encrypting: Bool) -> OpaquePointer? {
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        guard EVP_CipherInit_ex2(ctx, Algorithms.aes256gcm, nil, nil, encrypting ? 1 : 0, nil) == 1 else {
            EVP_CIPHER_CTX_free(ctx)
            return nil
        }
        return ctx
    }
}

/// Freeing a cipher context also wipes the key schedule it holds.
private func destroyCipherSlot(_ raw: UnsafeMutableRawPointer?) {
    guard let slot = raw?.assumingMemoryBound(to: ContextSlot.self) else { return }
    EVP_CIPHER_CTX_free(slot.pointee.context)
    slot.deinitialize(count: 1)
    slot.deallocate()
}

private func destroyDigestSlot(_ raw: UnsafeMutableRawPointer?) {
    guard let slot = raw?.assumingMemoryBound(to: ContextSlot.self) else { return }
    EVP_MD_CTX_free(slot.pointee.context)
    slot.deinitialize(count: 1)
    slot.deallocate()
}
