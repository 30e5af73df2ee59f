import Foundation
import Testing
import VaultPolicy

/// The repository root, found from this file so that tests read the shipped `policies/` directly.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The text of a file under `policies/`.
func shippedPolicyText(_ relativePath: String) throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent("policies/\(relativePath)"), encoding: .utf8)
}

/// The shipped default policy, parsed.
func defaultPolicy() throws -> Policy {
    try Policy.parse(yaml: try shippedPolicyText("default.yaml"), fileName: "policies/default.yaml")
}

/// The text of a test fixture, e.g. `valid/minimal.yaml`.
func fixtureText(_ relativePath: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(relativePath)", withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

/// A UTC instant written as in decisions, e.g. `2026-11-01T10:00Z`.
func utc(_ text: String) -> Date {
    guard let date = UTCTimestamp.parse(text) else { fatalError("bad test timestamp \(text)") }
    return date
}
