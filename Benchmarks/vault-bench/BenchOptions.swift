import Foundation

/// Command-line options shared by every benchmark suite.
struct BenchOptions {
    /// Smaller sizes for a smoke run.
    var quick = false
    /// Named numeric options (`--customers 100000`).
    var values: [String: Int] = [:]

    init(arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if argument == "--quick" { quick = true; continue }
            if argument.hasPrefix("--"), let value = iterator.next(), let number = Int(value) {
                values[String(argument.dropFirst(2))] = number
            }
        }
    }

    func value(_ name: String, default fallback: Int) -> Int { values[name] ?? fallback }
}
