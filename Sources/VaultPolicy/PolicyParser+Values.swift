import Foundation
import Yams

// The generic YAML reader: typed values with their positions.
extension PolicyParser {
    mutating func mapping(_ node: Node, _ what: String) -> [Entry]? {
        if case .scalar(let scalar) = node, scalar.style == .plain, Self.nulls.contains(scalar.string) {
            report(node, .wrongType, "\(what) is empty: add its entries, or remove the key")
            return nil
        }
        guard case .mapping(let pairs) = node else {
            report(node, .wrongType, "\(what) must be a mapping of key: value lines, not \(kind(of: node))")
            return nil
        }
        var entries: [Entry] = []
        for (key, value) in pairs {
            guard case .scalar(let scalar) = key, !scalar.string.isEmpty else {
                report(key, .wrongType, "keys in \(what) must be plain names")
                continue
            }
            entries.append(Entry(key: scalar.string, keyPosition: Position(key.mark), value: value))
        }
        return entries
    }

    mutating func checkKeys(_ entries: [Entry], allowed: [String], in what: String) {
        for entry in entries where !allowed.contains(entry.key) {
            report(
                entry.keyPosition,
                .unknownKey,
                "unknown key '\(entry.key)' in \(what)\(suggestion(entry.key, allowed)): allowed keys are \(allowed.joined(separator: ", "))"
            )
        }
    }

    mutating func require(_ entries: [Entry], _ key: String, in what: String, at position: Position, hint: String) -> Node? {
        guard let entry = entries[key] else {
            report(position, .missingKey, "\(what) has no \(key): add \(key): (\(hint))")
            return nil
        }
        return entry.value
    }

    mutating func scalar(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(node, .wrongType, "\(what) must be a single value, not \(kind(of: node))")
            return nil
        }
        if scalar.style == .plain, Self.nulls.contains(scalar.string) {
            report(node, .wrongType, "\(what) has no value: write one after the colon")
            return nil
        }
        return scalar.string
    }

    mutating func text(_ node: Node, _ what: String) -> String? {
        guard let value = scalar(node, what) else { return nil }
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            report(node, .wrongType, "\(what) is empty: write some text")
            return nil
        }
        return value
    }

    mutating func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, _ what: String, _: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        guard let value = scalar(node, what) else { return nil }
        let options = Choice.allCases.map(\.rawValue)
        guard let choice = Choice(rawValue: value) else {
            report(node, .invalidValue, "\(what) is '\(value)'\(suggestion(value, options)): it must be one of \(options.joined(separator: ", "))")
            return nil
        }
        return choice
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard let value = scalar(node, what) else { return nil }
        switch value {
        case "true": return true
        case "false": return false
        default:
            report(node, .wrongType, "\(what) must be true or false, got '\(value)'")
            return nil
        }
    }

    mutating func integer(_ node: Node, _ what: String) -> Int? {
        guard let value = scalar(node, what) else { return nil }
        guard let result = Int(value) else {
            report(node, .wrongType, "\(what) must be a whole number, got '\(value)'")
            return nil
        }
        return result
    }

    /// A number as YAML writes it, including `.inf` and `.nan` so that their rejection names the rule
    /// they break; hexadecimal and other exotic spellings are refused.
    mutating func number(_ node: Node, _ what: String) -> Double? {
        guard let value = scalar(node, what) else { return nil }
        switch value.lowercased() {
        case ".nan": return .nan
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        default: break
        }
        let decimal = value.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || "+-.eE".unicodeScalars.contains($0) }
        guard decimal, value.unicodeScalars.contains(where: { ("0"..."9").contains($0) }), let result = Double(value) else {
            report(node, .wrongType, "\(what) must be a number, got '\(value)'")
            return nil
        }
        return result
    }

    mutating func duration(_ node: Node, _ what: String) -> ISO8601Duration? {
        guard let value = scalar(node, what) else { return nil }
        guard let duration = ISO8601Duration(value) else {
            report(node, .invalidDuration, "\(what) is '\(value)': write \(ISO8601Duration.expectedForm)")
            return nil
        }
        return duration
    }

    mutating func bounds(_ node: Node, _ what: String) -> Bounds? {
        guard case .sequence(let sequence) = node, sequence.count == 2 else {
            report(node, .wrongType, "\(what) must be a pair [min, max]")
            return nil
        }
        guard let low = number(sequence[0], "min of \(what)"), let high = number(sequence[1], "max of \(what)") else { return nil }
        guard low.isFinite, high.isFinite else {
            report(
                node,
                .invalidBounds,
                "\(what): [\(scalarText(sequence[0])), \(scalarText(sequence[1]))] are not both finite; public bounds must be finite numbers"
            )
            return nil
        }
        guard low <= high else {
            report(node, .invalidBounds, "\(what): min \(format(low)) is greater than max \(format(high)); write [min, max] with min ≤ max")
            return nil
        }
        return Bounds(min: low, max: high)
    }

    /// A list of names; duplicates are reported at the repeat.
    mutating func nameList(_ node: Node, _ what: String) -> [Item]? {
        guard case .sequence(let sequence) = node else {
            report(node, .wrongType, "\(what) must be a list such as [a, b], not \(kind(of: node))")
            return nil
        }
        var items: [Item] = []
        var seen: Set<String> = []
        for element in sequence {
            guard let value = scalar(element, "an entry of \(what)") else { continue }
            if !seen.insert(value).inserted {
                report(element, .duplicateName, "'\(value)' appears twice in \(what): remove the repeat")
                continue
            }
            items.append(Item(name: value, position: Position(element.mark)))
        }
        return items
    }

    mutating func identifier(_ name: String, at position: Position, kind: String) -> Bool {
        let valid = Policy.isName(name)
        if !valid {
            report(
                position,
                .invalidValue,
                "\(kind) name '\(name)' must be lower_snake_case: a-z, 0-9 and _, starting with a letter, at most 64 characters"
            )
        }
        return valid
    }

    /// The plain scalars YAML reads as null, which an empty `key:` produces.
    private static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]
}

/// A 1-based line and column; the start of the file when the parser gave no mark.
struct Position {
    let line: Int
    let column: Int

    init(_ mark: Mark? = nil) {
        line = mark?.line ?? 1
        column = mark?.column ?? 1
    }

    init(offset: Int, in text: String) {
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars.prefix(offset) {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        self.line = line
        self.column = column
    }
}

/// One `key: value` pair of a mapping, with the key's position.
struct Entry {
    let key: String
    let keyPosition: Position
    let value: Node
}

/// One entry of a list of names, with its position.
struct Item {
    let name: String
    let position: Position
}

extension [Entry] {
    /// The entry for `key`; the YAML parser has already rejected duplicate keys.
    subscript(key: String) -> Entry? {
        first { $0.key == key }
    }
}
