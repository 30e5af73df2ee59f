import Foundation
import Testing

@testable import VaultCrypto

/// The root key file: created 0600 and 32 bytes, never overwritten, refused when loose or malformed.
struct KeyFileTests {
    /// A fresh directory per test, removed afterwards.
    final class Directory {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-keyfile-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func file(_ name: String) -> String { path + "/" + name }
    }

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    @Test("create makes a mode-0600, 32-byte file that load reads back")
    func createAndLoad() throws {
        let directory = try Directory()
        let path = directory.file("root.key")
        let key = try KeyFile.create(at: path)
        #expect(try mode(path) == 0o600)
        let contents = try #require(FileManager.default.contents(atPath: path))
        #expect(contents.count == 32)
        #expect(key.withUnsafeBytes { Data($0) } == contents)
        #expect(try KeyFile.load(from: path) == key)
    }

    @Test("create refuses to overwrite an existing file and leaves it intact")
    func noOverwrite() throws {
        let directory = try Directory()
        let path = directory.file("root.key")
        let key = try KeyFile.create(at: path)
        let error = try #require(throws: CryptoError.self) { try KeyFile.create(at: path) }
        #expect(error.code == "key_file")
        #expect(String(describing: error).contains("already exists"))
        #expect(try KeyFile.load(from: path) == key)
    }

    @Test("load refuses a key file readable by group or others", arguments: [0o644, 0o640, 0o604, 0o660, 0o700 | 0o004])
    func looseMode(_ permissions: Int) throws {
        let directory = try Directory()
        let path = directory.file("root.key")
        _ = try KeyFile.create(at: path)
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
        let error = try #require(throws: CryptoError.self) { try KeyFile.load(from: path) }
        #expect(error.code == "key_file")
        #expect(String(describing: error).contains("chmod 600"))
    }

    @Test("load accepts an owner-only mode stricter than 0600")
    func strictMode() throws {
        let directory = try Directory()
        let path = directory.file("root.key")
        let key = try KeyFile.create(at: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        #expect(try KeyFile.load(from: path) == key)
    }

    @Test("load refuses a file of the wrong size, a missing file, a directory and a symbolic link", arguments: [0, 31, 33, 64])
    func malformed(_ size: Int) throws {
        let directory = try Directory()
        let path = directory.file("root.key")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 1, count: size), attributes: [.posixPermissions: 0o600]))
        #expect(throws: CryptoError.self) { try KeyFile.load(from: path) }
        #expect(throws: CryptoError.self) { try KeyFile.load(from: directory.file("absent.key")) }
        #expect(throws: CryptoError.self) { try KeyFile.load(from: directory.path) }

        let real = directory.file("real.key")
        _ = try KeyFile.create(at: real)
        let link = directory.file("link.key")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        #expect(throws: CryptoError.self) { try KeyFile.load(from: link) }
        #expect(throws: CryptoError.self) { try KeyFile.create(at: link) }
    }
}
