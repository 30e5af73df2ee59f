import Synchronization
import VaultCrypto
import VaultStore

/// The unwrapped KEKs of an open vault, by version; the newest wraps new DEKs.
final class Keyring: Sendable {
    private let keks: Mutex<[UInt32: KeyEncryptionKey]>

    init(_ keks: [KeyEncryptionKey]) {
        self.keks = Mutex(Dictionary(uniqueKeysWithValues: keks.map { ($0.version, $0) }))
    }

    /// The KEK that wraps new DEKs: the newest epoch.
    func current() throws -> KeyEncryptionKey {
        guard let kek = keks.withLock({ all in all.keys.max().flatMap { all[$0] } }) else {
            throw VaultError.integrity("the vault holds no key epoch: put back this vault's key store (epoch.keys)")
        }
        return kek
    }

    func contains(version: UInt32) -> Bool {
        keks.withLock { $0[version] != nil }
    }

    func add(_ kek: KeyEncryptionKey) {
        keks.withLock { $0[kek.version] = kek }
    }

    /// Forgets a destroyed epoch's KEK (its bytes are wiped when the last copy goes).
    func remove(version: UInt32) {
        _ = keks.withLock { $0.removeValue(forKey: version) }
    }

    var versions: Set<UInt32> { keks.withLock { Set($0.keys) } }

    func kek(version: UInt32) throws -> KeyEncryptionKey {
        guard let kek = keks.withLock({ $0[version] }) else {
            throw VaultError.integrity(
                "a customer key depends on key epoch \(version), which this vault's key store does not hold: the epoch was destroyed (the data is crypto-shredded) or the key store is not this vault's newest"
            )
        }
        return kek
    }

    /// Unwraps a customer's DEK; any mismatch (moved or altered row) is an integrity failure.
    func dek(customerID: String, wrapped: [UInt8]) throws -> SymmetricKey {
        do {
            let wrappedKey = try WrappedKey(serialized: wrapped)
            return try kek(version: wrappedKey.kekVersion).unwrap(wrappedKey, customerID: customerID)
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError.integrity("the stored key of customer \(customerID) failed its integrity check; the row was altered or moved")
        }
    }
}
