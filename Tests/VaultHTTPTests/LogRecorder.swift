import Logging
import Synchronization

/// Keeps every log line in memory, rendered with its metadata, so tests can search them.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    /// Every line so far: `level message key=value …` (the logger's and the call's metadata).
    var all: [String] { lines.withLock { $0 } }

    /// A logger that writes here, at `info` and above.
    func logger(label: String = "test") -> Logger {
        Logger(label: label) { _ in Handler(recorder: self) }
    }

    fileprivate func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let rendered = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
            recorder.append("\(event.level) \(event.message) \(rendered)")
        }
    }
}
