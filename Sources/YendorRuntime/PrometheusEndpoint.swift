import FlyingFox
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization

/// Serves `GET /metrics` in Prometheus' text exposition format from the process's swift-metrics
/// registry (`bootstrap()` makes swift-prometheus the metrics backend). A `Service`: it stops with
/// the role.
public struct PrometheusEndpoint: Service {
    /// The process backend every role's `MetricsRegistry` forwards to, once bootstrapped.
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = Mutex(false)

    /// Makes swift-prometheus the process's metrics backend (once; later calls do nothing). Names are
    /// sanitised for Prometheus: `learner/loss/policy` becomes `yendor_learner_loss_policy`.
    public static func bootstrap() {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in (sanitize(name), labels) }
        MetricsSystem.bootstrap(factory)
    }

    /// `yendor_` + the name with every character outside [a-zA-Z0-9_] replaced by `_`.
    public static func sanitize(_ name: String) -> String {
        "yendor_" + String(name.unicodeScalars.map { s -> Character in
            let ok = (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "_"
            return ok ? Character(s) : "_"
        })
    }

    let port: UInt16
    let host: String
    let logger: Logger

    /// Listens on `host:port` (0.0.0.0 for scraping from other machines).
    public init(port: Int, host: String = "0.0.0.0", logger: Logger) {
        self.port = UInt16(clamping: port)
        self.host = host
        self.logger = logger
        Self.bootstrap()
    }

    public func run() async throws {
        // FlyingFox's own connection log is noise here; the role logs the endpoint once.
        let server = HTTPServer(address: try .inet(ip4: host, port: port), logger: .disabled)
        await server.appendRoute("GET /metrics") { _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: Data(PrometheusEndpoint.registry.emitToBuffer()))
        }
        let stopping = Mutex(false)
        let said = Task { [logger, host, port] in
            // Said once the port is bound, not before: a port in use ends the role instead.
            try await server.waitUntilListening(timeout: 3600)
            logger.info("Prometheus metrics on http://\(host):\(port)/metrics")
        }
        defer { said.cancel() }
        do {
            try await withGracefulShutdownHandler {
                try await server.run()
            } onGracefulShutdown: {
                stopping.withLock { $0 = true }
                Task { await server.stop(timeout: 1) }
            }
        } catch where stopping.withLock({ $0 }) || Task.isCancelled {
            // Stopping closes the listening socket under the accept loop: that error is the stop.
        } catch {
            throw ConfigurationError(field: "run.prometheus_port", problem: "cannot serve /metrics on \(host):\(port): \(error) (another process listens there?)")
        }
    }
}
