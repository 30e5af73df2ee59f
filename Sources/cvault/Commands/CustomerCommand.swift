import ArgumentParser
import Foundation
import Vault
import VaultAnalytics
import VaultPolicy

/// `cvault customer get|find|put`: purpose-bound reads and writes by staff.
struct CustomerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer",
        abstract: "Read, find and update customers for a purpose (staff tokens).",
        subcommands: [Get.self, Find.self, Put.self, NextBestProductCommand.self]
    )

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read a customer's fields for a purpose; denied fields show their reason.")

        @Argument(help: "Customer id.") var id: String
        @Option(name: .long, help: "The purpose of the read.") var purpose: String
        @Option(name: .long, help: ArgumentHelp("Only these fields (comma-separated).", valueName: "a,b")) var fields: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let view = try await vault.readCustomer(id, purpose: purpose, fields: fields.map(splitList), by: try await global.principal(vault))
            try show([view], json: global.json)
            if !view.anyAllowed { throw ExitCode(1) }
        }
    }

    struct Find: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Find customers by a lookup field (blind index), then read them for a purpose.")

        @Option(name: .long, help: "E-mail address to look up.") var email: String?
        @Option(name: .long, help: "Phone number to look up.") var phone: String?
        @Option(name: .long, help: "The purpose of the read.") var purpose: String
        @Option(name: .long, help: ArgumentHelp("Only these fields (comma-separated).", valueName: "a,b")) var fields: String?
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard (email == nil) != (phone == nil) else { throw ValidationError("give exactly one of --email or --phone") }
        }

        func run() async throws {
            let vault = try await global.open()
            let (field, value) = email.map { ("email", $0) } ?? ("phone", phone!)
            let views = try await vault.findCustomers(
                by: field,
                value: value,
                purpose: purpose,
                fields: fields.map(splitList),
                by: try await global.principal(vault)
            )
            if views.isEmpty, !global.json { Output.note("no customer matches") }
            try show(views, json: global.json)
            if views.isEmpty || !views.contains(where: \.anyAllowed) { throw ExitCode(1) }
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Update fields of a customer for a purpose (all or nothing).")

        @Argument(help: "Customer id.") var id: String
        @Option(name: .long, help: "The purpose of the write.") var purpose: String
        @Option(name: .customLong("set"), help: ArgumentHelp("field=value (repeatable; JSON for lists and maps).", valueName: "field=value"))
        var assignments: [String] = []
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard !assignments.isEmpty else { throw ValidationError("give at least one --set field=value") }
            for assignment in assignments where !assignment.contains("=") {
                throw ValidationError("--set expects field=value")
            }
        }

        func run() async throws {
            var changes: [String: String] = [:]
            for assignment in assignments {
                let parts = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                changes[String(parts[0])] = String(parts[1])
            }
            let vault = try await global.open()
            let written = try await vault.updateCustomer(id, purpose: purpose, set: changes, by: try await global.principal(vault))
            if global.json { return try Output.json(["updated": written]) }
            Output.print("updated \(written.joined(separator: ", ")) of \(id)")
        }
    }
}

/// `cvault customer next-best-product ID --purpose P`: what to offer one customer, and why.
struct NextBestProductCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next-best-product",
        abstract: "The categories to offer a customer next, with reasons (only while the customer's consent holds; audited like a read)."
    )

    @Argument(help: "Customer id.") var id: String
    @Option(name: .long, help: "The purpose; recommendations run only under the policy's recommendation purpose.") var purpose: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let vault = try await global.open()
        let answer = try await vault.nextBestProduct(for: id, purpose: purpose, by: try await global.principal(vault))
        if global.json { return try Output.json(answer) }
        showRecommendations(answer)
    }
}

/// Prints a recommendation: each category with its reasons.
func showRecommendations(_ answer: NextBestProduct) {
    Output.print("customer \(answer.customerID) · purpose \(answer.purpose) · model v\(answer.modelVersion)")
    for (rank, item) in answer.recommendations.enumerated() {
        Output.print("  \(rank + 1). \(item.category): " + item.reasons.joined(separator: "; "))
    }
    if let note = answer.note { Output.print("  \(note)") }
}

func splitList(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// Prints customer views: allowed values, then each denied field with its reason.
func show(_ views: [CustomerView], json: Bool) throws {
    // The API's rendering, byte for byte: one customer shape for every interface.
    if json { return Output.print(String(decoding: CustomerView.json(views), as: UTF8.self)) }
    for view in views {
        Output.print("customer \(view.customerID)" + (view.purpose.map { " · purpose \($0)" } ?? ""))
        let width = max(12, view.decisions.map(\.field.count).max() ?? 0)
        for decision in view.decisions where decision.allowed {
            Output.print(
                "  \(decision.field.padding(toLength: width, withPad: " ", startingAt: 0))  \(view.values[decision.field]?.description ?? "—")"
            )
        }
        for decision in view.decisions where !decision.allowed {
            Output.print("  \(decision.field.padding(toLength: width, withPad: " ", startingAt: 0))  ✗ \(decision.decision.reason)")
        }
    }
}
