import Logging
import YendorRuntime

/// Logs through another handler (stderr), clearing the progress line drawn in place on a terminal
/// first and drawing it again after (`LiveLine.interleave`).
struct LiveLineLogHandler: LogHandler {
    var inner: any LogHandler

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }
    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }
    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        LiveLine.standardError.interleave { inner.log(event: event) }
    }
}
