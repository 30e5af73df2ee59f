import Foundation

/// Command-line options shared by every benchmark suite.
struct BenchOptions {
    /// Smaller sizes for a smoke run.
    var quick = false
    /// Named numeric options (`--customers 100000`).
    var values: [String: Int] = [:]
    /// Named text options (`--postgres postgres://…`).
    var texts: [String: String] = [:]

    init(arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if argument == "--quick" {
                quick = true
                continue
            }
            if argument.hasPrefix("--"), let value = iterator.next() {
                if let number = Int(value) { values[String(argument.dropFirst(2))] = number } else { texts[String(argument.dropFirst(2))] = value }
            }
        }
    }

    func value(_ name: String, default fallback: Int) -> Int { values[name] ?? fallback }

    /// The PostgreSQL server to measure too (`--postgres postgres://USER@HOST:PORT/DB`), if given.
    var postgres: PostgresServer? { texts["postgres"].map(PostgresServer.init) }
}
