extension Policy {
    /// Whether `text` can name a field, purpose or role: lower_snake_case, a letter first, at most
    /// 64 characters. The parser holds policies to it, and the HTTP API checks names against it.
    package static func isName(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        return (1...64).contains(scalars.count) && scalars.first.map { ("a"..."z").contains($0) } == true
            && scalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
