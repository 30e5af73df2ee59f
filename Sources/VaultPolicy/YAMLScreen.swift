import CYaml

/// Screens a policy's YAML at the level of libyaml's event stream, before anything is composed:
/// an alias expands into a copy of its anchor's whole subtree, so a few hundred bytes of nested
/// aliases compose into billions of nodes (48 s and 1.1 GB for 407 bytes). Policies need neither
/// anchors nor aliases, and stay far below the size, node count and depth caps.
enum YAMLScreen {
    /// The largest policy file read (the shipped ones are about 10 KB).
    static let maximumBytes = 1 << 20
    /// The most nodes (scalars, lists and mappings) a policy may hold.
    static let maximumNodes = 20_000
    /// The deepest nesting of lists and mappings.
    static let maximumDepth = 32

    /// Why a YAML text is refused, with its 1-based position.
    struct Refusal: Error {
        let line: Int
        let column: Int
        let message: String
        let isAlias: Bool
    }

    /// Throws the first anchor, alias, or breach of a cap; returns quietly for YAML that libyaml
    /// cannot parse, which the composer then reports with its own position.
    static func check(_ yaml: String) throws(Refusal) {
        let bytes = Array(yaml.utf8)
        guard bytes.count <= maximumBytes else {
            throw Refusal(
                line: 1,
                column: 1,
                message: "the policy file is larger than \(maximumBytes) bytes: a policy is a few kilobytes",
                isAlias: false
            )
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        try bytes.withUnsafeBufferPointer { buffer throws(Refusal) in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var nodes = 0
            var depth = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                let column = Int(event.start_mark.column) + 1
                func refuse(_ message: String, alias: Bool = false) -> Refusal {
                    Refusal(line: line, column: column, message: message, isAlias: alias)
                }
                let anchored: Bool
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_ALIAS_EVENT:
                    throw refuse(
                        "anchors and aliases (&name, *name) are not allowed in policies: write every value out so each rule reads on its own",
                        alias: true
                    )
                case YAML_SCALAR_EVENT:
                    anchored = event.data.scalar.anchor != nil
                    nodes += 1
                case YAML_SEQUENCE_START_EVENT:
                    anchored = event.data.sequence_start.anchor != nil
                    nodes += 1
                    depth += 1
                case YAML_MAPPING_START_EVENT:
                    anchored = event.data.mapping_start.anchor != nil
                    nodes += 1
                    depth += 1
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    anchored = false
                    depth -= 1
                default:
                    anchored = false
                }
                if anchored {
                    throw refuse(
                        "anchors and aliases (&name, *name) are not allowed in policies: write every value out so each rule reads on its own",
                        alias: true
                    )
                }
                if depth > maximumDepth {
                    throw refuse("lists and mappings are nested more than \(maximumDepth) deep here: a policy needs at most a handful of levels")
                }
                if nodes > maximumNodes {
                    throw refuse("the policy has more than \(maximumNodes) values: that is not a policy")
                }
            }
        }
    }
}
