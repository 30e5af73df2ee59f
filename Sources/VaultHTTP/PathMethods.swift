import HTTPTypes

/// The methods each known path answers, so that any other method on it — `TRACE`, `QUERY` or
/// one nobody registered — gets 405 with `Allow` rather than the router's 404.
struct PathMethods: Sendable {
    private struct Template: Sendable {
        let segments: [String]
        var methods: [HTTPRequest.Method]
    }

    private let templates: [Template]

    /// The paths and methods of `routes`.
    init(_ routes: [APIRoute]) {
        var templates: [Template] = []
        for route in routes {
            let segments = route.path.split(separator: "/").map(String.init)
            if let index = templates.firstIndex(where: { $0.segments == segments }) {
                templates[index].methods.append(route.method)
            } else {
                templates.append(Template(segments: segments, methods: [route.method]))
            }
        }
        self.templates = templates
    }

    /// The methods `path` answers, or nil when no route has this path. Empty segments (a trailing
    /// slash) are skipped, as the router skips them.
    func allowed(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        return templates.first { template in
            template.segments.count == segments.count
                && zip(template.segments, segments).allSatisfy { pattern, segment in
                    pattern.hasPrefix("{") || pattern == segment
                }
        }?.methods
    }
}
