import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization
import YendorSupport

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

    /// Whether `host` is a dotted IPv4 address (what the endpoint can listen on).
    public static func isIPv4(_ host: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1
    }

    let port: UInt16
    let host: String
    /// What gave the port, for a bind error (`run.prometheus_port`, `--prometheus-port`).
    let setting: String
    let logger: Logger

    /// Listens on `host:port` (0.0.0.0 for scraping from other machines).
    public init(port: Int, host: String = "0.0.0.0", setting: String = "run.prometheus_port", logger: Logger) {
        self.port = UInt16(clamping: port)
        self.host = host
        self.setting = setting
        self.logger = logger
        Self.bootstrap()
    }

    /// Refuses a port another process listens on before the role starts, so the error comes
    /// before a run directory is made and records are written (the server binds it again when
    /// it starts, where a process that took it meanwhile is still caught). `setting` and
    /// `hostSetting` name what gave the port and the host (`run.prometheus_port`, `--prometheus-port`).
    public static func checkAvailable(port: Int, host: String = "0.0.0.0", setting: String = "run.prometheus_port",
                                      hostSetting: String = "run.prometheus_host") throws {
        guard port > 0 else { return }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // As the server will: a port left in TIME_WAIT by an earlier run is free; one listened on is not.
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw ConfigurationError(field: hostSetting, problem: "cannot serve /metrics on \(host):\(port): \(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound != 0 else { return }
        let (code, reason) = (errno, String(cString: strerror(errno)))
        if code == EADDRNOTAVAIL {
            throw ConfigurationError(field: hostSetting, problem: "cannot serve /metrics on \(host):\(port): \(reason) (no interface of this machine has \(host))")
        }
        throw ConfigurationError(field: setting, problem: "cannot serve /metrics on \(host):\(port): \(reason) (another process listens there?)")
    }

    public func run() async throws {
        let server: MetricsHTTPServer
        do {
            server = try MetricsHTTPServer(host: host, port: port, logger: logger) { Array(PrometheusEndpoint.registry.emitToBuffer()) }
        } catch let failure as MetricsHTTPServer.BindFailure {
            // Only the bind is a setting's fault; once listening, nothing a peer does ends the role.
            throw ConfigurationError(field: setting, problem: "cannot serve /metrics on \(host):\(port): \(failure.reason) (another process listens there?)")
        }
        logger.info("Prometheus metrics on http://\(host):\(port)/metrics")
        let stop = StopFlag()
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await OwnThread.run { server.serve(until: stop) }
            } onCancel: {
                stop.set()
            }
        } onGracefulShutdown: {
            stop.set()
        }
    }
}
