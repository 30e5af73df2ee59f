#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The root key's file: exactly 32 random bytes, readable by its owner only (mode 0600).
package enum KeyFile {
    /// Root key length in bytes.
    package static let byteCount = 32

    /// Creates a new key file at `path` with mode 0600 and returns its key; refuses to overwrite.
    package static func create(at path: String, using random: some RandomSource = SystemRandom()) throws -> SymmetricKey {
        let key = SymmetricKey(byteCount: byteCount, using: random)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it already exists; refusing to overwrite a key" : String(cString: strerror(errno))
            throw CryptoError.keyFile("cannot create key file \(path): \(reason)")
        }
        defer { close(fd) }
        do {
            // The umask may only narrow the mode; set it explicitly anyway so nothing else can widen it.
            guard fchmod(fd, 0o600) == 0 else { throw CryptoError.keyFile("cannot set mode 0600 on \(path)") }
            try key.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(fd, bytes.baseAddress!.advanced(by: offset), bytes.count - offset)
                    guard written > 0 else { throw CryptoError.keyFile("cannot write key file \(path)") }
                    offset += written
                }
            }
            guard fsync(fd) == 0 else { throw CryptoError.keyFile("cannot sync key file \(path)") }
        } catch {
            unlink(path)
            throw error
        }
        return key
    }

    /// Loads the key at `path`; refuses a file that group or others may access, or of the wrong size.
    package static func load(from path: String) throws -> SymmetricKey {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            throw CryptoError.keyFile(
                "cannot open key file \(path): \(String(cString: strerror(errno))); pass the vault's key file with --key-file or CVAULT_KEY_FILE"
            )
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CryptoError.keyFile("cannot stat key file \(path)") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw CryptoError.keyFile("key file \(path) is not a regular file") }
        let permissions = info.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw CryptoError.keyFile(
                "key file \(path) has mode \(String(permissions, radix: 8)), readable beyond its owner; run `chmod 600 \(path)` after checking who may have read it"
            )
        }
        guard info.st_size == off_t(byteCount) else {
            throw CryptoError.keyFile("key file \(path) holds \(info.st_size) bytes, not \(byteCount): it is not a cvault root key")
        }
        let storage = try SecureBytes(count: byteCount) { buffer in
            var offset = 0
            while offset < byteCount {
                let got = read(fd, buffer.baseAddress!.advanced(by: offset), byteCount - offset)
                guard got > 0 else { throw CryptoError.keyFile("cannot read key file \(path)") }
                offset += got
            }
        }
        return SymmetricKey(storage: storage)
    }
}
