import ArgumentParser
import Foundation
import VaultPolicy

/// `cvault policy check [FILE…]`: validates policy files, printing `file:line:column: message` per problem.
struct PolicyCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate policy files.",
        discussion: "Prints file:line:column: message for every problem on standard error and exits 1 when any file is invalid."
    )

    @Argument(help: "Policy files to check (default: policies/*.yaml in the current directory).")
    var files: [String] = []

    @Flag(help: "Print the result as JSON on standard output.")
    var json = false

    func run() async throws {
        let paths = files.isEmpty ? try Self.defaultPolicyFiles() : files
        let results = paths.map(Self.check)
        if json {
            let report = Report(valid: results.allSatisfy(\.valid), files: results)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            for result in results {
                if let hash = result.hash, let name = result.name {
                    print("\(result.file): ok, policy \(name), sha256 \(hash)")
                } else {
                    standardError(result.diagnostics.map(\.description).joined(separator: "\n"))
                }
            }
        }
        if !results.allSatisfy(\.valid) { throw ExitCode(1) }
    }

    private struct Report: Encodable {
        let valid: Bool
        let files: [FileResult]
    }

    private struct FileResult: Encodable {
        let file: String
        let valid: Bool
        let name: String?
        let hash: String?
        let diagnostics: [PolicyDiagnostic]
    }

    private static func check(_ path: String) -> FileResult {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let diagnostic = PolicyDiagnostic(
                file: path,
                line: 1,
                column: 1,
                rule: "unreadable_file",
                message: "cannot read the file as UTF-8 text (\(error.localizedDescription)); check the path"
            )
            return FileResult(file: path, valid: false, name: nil, hash: nil, diagnostics: [diagnostic])
        }
        do {
            let policy = try Policy.parse(yaml: text, fileName: path)
            return FileResult(file: path, valid: true, name: policy.name, hash: policy.hash, diagnostics: [])
        } catch {
            return FileResult(file: path, valid: false, name: nil, hash: nil, diagnostics: error.diagnostics)
        }
    }

    private static func defaultPolicyFiles() throws -> [String] {
        let directory = "policies"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let files = names.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(directory)/\($0)" }
        guard !files.isEmpty else {
            standardError(
                "no policy files: policies/*.yaml matched nothing in \(FileManager.default.currentDirectoryPath); run from the repository root or name the files"
            )
            throw ExitCode(1)
        }
        return files
    }
}

/// Writes `message` and a newline to standard error.
func standardError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
