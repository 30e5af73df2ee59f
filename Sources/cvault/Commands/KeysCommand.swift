import ArgumentParser
import Foundation
import Vault

/// `cvault keys roll|status`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Roll the key epoch and inspect the key hierarchy (operator).",
        subcommands: [Roll.self, Status.self]
    )

    struct Roll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a new key epoch, rewrap every customer key under it, and destroy the older epochs.",
            discussion: """
                No profile data is re-encrypted. Destroying an epoch makes every backup taken while it was current \
                undecryptable; the vault rolls on its own when an epoch outlives its period (vault.json keyEpochPeriod, \
                default P30D) — this forces it now. An interrupted roll resumes where it stopped when run again.
                """,
            aliases: ["rotate"]
        )
        @Flag(name: .long, help: "Roll only if the current epoch's period is over (for cron).") var ifDue = false
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open(rollIfDue: false)
            let principal = try await global.operatorPrincipal(vault)
            let bar = Box<ProgressBar?>(nil)
            let progress: @Sendable (Int, Int) throws -> Void = { done, total in
                if bar.value == nil { bar.value = ProgressBar(total: total, label: "rewrap") }
                bar.value?.update(done)
            }
            if ifDue {
                _ = try await vault.keyStatus(by: principal)  // the same grant as a forced roll
                guard try await vault.rollKeyEpochIfDue(progress: progress) else {
                    let status = try await vault.keyStatus(by: principal)
                    if global.json { return try Output.json(status) }
                    return Output.print("key epoch \(status.current) is current until \(status.nextRollDue.formatted(.iso8601)); nothing to do")
                }
            } else {
                try await vault.rollKeyEpoch(by: principal, progress: progress)
            }
            let status = try await vault.keyStatus(by: principal)
            if global.json { return try Output.json(status) }
            Output.print(
                "key epoch \(status.current) is current; live epochs: \(status.versions.map { "v\($0)" }.joined(separator: ", ")); "
                    + "customers per epoch: \(status.customersByVersion.sorted { $0.key < $1.key }.map { "v\($0.key): \($0.value)" }.joined(separator: ", "))"
            )
            Output.print("next roll due \(status.nextRollDue.formatted(.iso8601))")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Key epochs, customers per epoch, unfinished rolls, the next roll.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open(rollIfDue: false)
            let status = try await vault.keyStatus(by: try await global.operatorPrincipal(vault))
            if global.json { return try Output.json(status) }
            Output.print("key epochs (each lives \(status.epochPeriod); next roll due \(status.nextRollDue.formatted(.iso8601))):")
            for epoch in status.epochs {
                let state =
                    epoch.destroyedAt.map { "destroyed \($0.formatted(.iso8601))" }
                    ?? "\(status.customersByVersion[String(epoch.version)] ?? 0) customer key(s)"
                Output.print(
                    "  v\(epoch.version): created \(epoch.createdAt.formatted(.iso8601)), \(state)\(epoch.version == status.current ? " (current)" : "")"
                )
            }
            if let pending = status.rotationInProgress { Output.print("roll to v\(pending) unfinished: run `cvault keys roll` to resume") }
        }
    }
}

/// A mutable box for state captured by a `@Sendable` progress closure run on one task.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
