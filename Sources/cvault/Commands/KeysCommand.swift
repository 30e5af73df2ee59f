import ArgumentParser
import Foundation
import Vault

/// `cvault keys rotate|status`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Rotate the key-encryption key and inspect the key hierarchy (operator).",
        subcommands: [Rotate.self, Status.self]
    )

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a KEK version and rewrap every customer key under it.",
            discussion: "No profile data is re-encrypted. An interrupted rotation resumes where it stopped when run again."
        )
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let bar = Box<ProgressBar?>(nil)
            let status = try await vault.rotateKeys(by: try await global.operatorPrincipal(vault)) { done, total in
                if bar.value == nil { bar.value = ProgressBar(total: total, label: "rewrap") }
                bar.value?.update(done)
            }
            if global.json { return try Output.json(status) }
            Output.print("KEK version \(status.current) is current; customers per version: \(status.customersByVersion.sorted { $0.key < $1.key }.map { "v\($0.key): \($0.value)" }.joined(separator: ", "))")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "KEK versions, customers per version, unfinished rotations.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let status = try await vault.keyStatus(by: try await global.operatorPrincipal(vault))
            if global.json { return try Output.json(status) }
            Output.print("KEK versions: \(status.versions.map { "v\($0)" }.joined(separator: ", ")) (current v\(status.current))")
            for (version, count) in status.customersByVersion.sorted(by: { $0.key < $1.key }) {
                Output.print("  v\(version): \(count) customer key(s)")
            }
            if let pending = status.rotationInProgress { Output.print("rotation to v\(pending) unfinished: run `cvault keys rotate` to resume") }
        }
    }
}

/// A mutable box for state captured by a `@Sendable` progress closure run on one task.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
