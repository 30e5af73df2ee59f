import COpenSSL
import Synchronization

/// Heap bytes that are wiped with `OPENSSL_cleanse` when the last reference goes away.
///
/// Immutable after creation, hence safe to share across threads.
final class SecureBytes: @unchecked Sendable {
    let count: Int
    /// Unique for the life of the process (never reused, unlike an address), so that a cipher
    /// context can tell that it already holds this key's schedule.
    let id: UInt64
    private let pointer: UnsafeMutableRawPointer

    private static let nextID = Atomic<UInt64>(1)

    /// Creates `count` bytes and lets `initializer` fill them.
    init(count: Int, initializingWith initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self.count = count
        self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        self.pointer = .allocate(byteCount: max(count, 1), alignment: 16)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
        // Every stored property is set, so if `initializer` throws, Swift releases the object and
        // `deinit` wipes and frees the bytes; doing it here as well would free them twice.
        try initializer(UnsafeMutableRawBufferPointer(start: pointer, count: count))
    }

    /// Copies `bytes` into new secure storage.
    convenience init(copying bytes: some Collection<UInt8>) {
        self.init(count: bytes.count) { buffer in
            _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    deinit {
        OPENSSL_cleanse(pointer, max(count, 1))
        pointer.deallocate()
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
