import Foundation
import VaultStore

/// The storage as the facade uses it: a storage failure leaves it as a `VaultError` of the right
/// kind, so the CLI and HTTP answer it like any other refusal — an unreachable or locked database
/// is "unavailable" (HTTP 503 with `Retry-After`), never a bare 500.
///
/// Bodies still see the backend's own `StoreError`, so a use case can catch the one it expects
/// (a duplicate contest, a customer erased meanwhile) inside its transaction.
struct FacadeStorage: VaultStorage {
    /// The backend's storage.
    let base: any VaultStorage

    func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        do { return try await base.read(body) } catch let error as StoreError { throw VaultError(error) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
        do { return try await base.write(body) } catch let error as StoreError { throw VaultError(error) }
    }

    func backup(to destination: String) async throws {
        do { try await base.backup(to: destination) } catch let error as StoreError { throw VaultError(error) }
    }

    func compact() async throws {
        do { try await base.compact() } catch let error as StoreError { throw VaultError(error) }
    }

    func close() throws {
        do { try base.close() } catch let error as StoreError { throw VaultError(error) }
    }

    func changeNotifications() -> AsyncStream<Void>? { base.changeNotifications() }

    func authenticationToken(hash: Data) async throws -> TokenRow? {
        do { return try await base.authenticationToken(hash: hash) } catch let error as StoreError { throw VaultError(error) }
    }
}

extension VaultError {
    /// A storage failure by its kind; the message is the store's, which never holds SQL or values.
    init(_ error: StoreError) {
        switch error.kind {
        case .duplicate, .conflict: self.init(.conflict, code: Code(error), error.description)
        case .notFound: self.init(.notFound, code: Code(error), error.description)
        case .corrupted: self.init(.integrity, code: .storageCorrupted, error.description)
        case .unavailable: self.init(.unavailable, code: .storageUnavailable, error.description)
        }
    }
}
