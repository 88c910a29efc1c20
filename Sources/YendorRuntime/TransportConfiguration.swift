import Foundation
import Logging
import Synchronization
import YendorSupport
import ZeroMQ

/// Where roles bind and connect. The same topology runs in one process (`inproc://`), across
/// processes on one machine (`ipc://`) and across machines (`tcp://`).
public struct TransportConfiguration: Sendable, Equatable {
    /// Learner's PULL socket for everything workers send: trajectories, Hellos (which keep a worker
    /// listed) and Goodbyes. Workers send no Heartbeat or Stats: a worker's own figures are at its
    /// `/metrics` endpoint (`run.prometheus_port`).
    public var trajectories: String = "tcp://0.0.0.0:5555"
    /// Learner's PUB socket for weights, learner heartbeats, `Stats` (`yendor status`), refusals and
    /// its last Goodbye.
    public var weights: String = "tcp://0.0.0.0:5556"
    /// Standalone replay role's PULL socket (`yendor replay`); workers send there instead of the learner.
    public var replay: String = "tcp://0.0.0.0:5559"
    /// Annotator's ROUTER socket for requests.
    public var annotatorRequests: String = "tcp://0.0.0.0:5557"
    /// Annotator's PUB socket for labels as they arrive.
    public var annotatorLabels: String = "tcp://0.0.0.0:5558"
    /// Seconds between the learner's heartbeats (on its PUB); a worker sends a Hello every
    /// `heartbeatMisses / 2` of them, and its trajectories count as being heard too.
    public var heartbeatInterval: Double = 1.0
    /// Heartbeats missed before a peer counts as gone.
    public var heartbeatMisses: Int = 5
    /// Seconds of silence after which a peer counts as gone.
    public var peerTimeout: Double { heartbeatInterval * Double(heartbeatMisses) }
    /// Trajectory messages queued per socket before senders wait (ZeroMQ high-water marks and
    /// Yendor's own queues). Small on purpose: every queued trajectory adds policy lag. 1: with 2,
    /// two workers on a learner that could not keep up queued so many that 12% of what they collected
    /// arrived too stale and was dropped, for the same samples trained per second (docs/benchmarks.md,
    /// "Queue capacity").
    public var queueCapacity: Int = 1
    /// Seconds a stopping worker waits for a learner it hears to take its last trajectories (the
    /// learner's answer to its Goodbye, queued behind them). What has not gone by then is lost
    /// when the connection closes. 3 s lost trajectories of a learner slowed to about one update
    /// a second (a loaded machine); `train --workers` gives its workers this plus 5 s to stop.
    public var leaveTimeout: Double = 10
    /// The learner's PUB high-water mark per subscriber: a PolicyUpdate and the Heartbeat or
    /// Goodbye published right after it, which a mark of 1 would drop before libzmq's I/O thread
    /// has taken the first.
    static let publishHighWaterMark = 2
    /// The kernel's buffer of each TCP trajectory connection (libzmq sets none on `ipc://`), in KiB, at both ends (the sender's SO_SNDBUF,
    /// the receiver's SO_RCVBUF; Linux doubles it); 0 leaves it to the system's autotuning. High-water
    /// marks count messages, not bytes: autotuned, these buffers held about 5 MB (some 18 default
    /// trajectories) for two workers of a learner that trained slower than they sent, each trajectory
    /// a version of policy lag (docs/benchmarks.md, "Socket buffers").
    public var socketBufferKiB: Int = 128
    /// The precision of the weights the learner publishes. `f16` halves what every update sends to
    /// every worker (for a slow or shared link, or many workers); workers act with the rounded
    /// weights (V-trace corrects with the probabilities they acted with), and the learner trains
    /// and checkpoints in f32. A tensor with a value beyond f16's range goes as f32.
    public var weightsPrecision: WeightsPrecision = .f32
    /// Largest message accepted, in MiB; larger frames are counted and dropped.
    public var maxMessageMiB: Int = 256
    /// First reconnect delay in milliseconds; doubles up to `reconnectMaxMilliseconds`.
    public var reconnectMilliseconds: Int = 100
    /// Upper bound of the reconnect backoff in milliseconds.
    public var reconnectMaxMilliseconds: Int = 5000
    /// Seconds a TCP trajectory connection may be silent before the receiving side's kernel probes
    /// the peer (3 probes, a quarter of this apart: a vanished node's connection closes after about
    /// 1.75× this); 0 leaves keepalive off.
    public var keepaliveSeconds: Int = 60
    /// Longest wait for a TCP connection to open, in milliseconds, before it is given up and tried
    /// again. Without it an attempt made during a network cut waited out the kernel's SYN retries:
    /// workers came back 30 s after a 90 s partition healed, their weights 50 s after (trial X).
    public var connectTimeoutMilliseconds: Int = 3000

    /// How a connecting socket tries again: the reconnect backoff and the connect timeout.
    public var reconnection: [SocketOption] {
        [.reconnectInterval(milliseconds: reconnectMilliseconds), .reconnectIntervalMax(milliseconds: reconnectMaxMilliseconds),
         .connectTimeout(milliseconds: connectTimeoutMilliseconds)]
    }
    /// CURVE: path of this node's secret key file (`yendor keys generate`); empty = no encryption.
    public var curveSecretKeyFile: String = ""
    /// CURVE: the server's public key (clients) — Z85 text or a path to a `.pub` file.
    public var curveServerKey: String = ""
    /// CURVE: the annotator's public key (learners talking to a CURVE annotator) — Z85 text or a `.pub` path.
    public var curveAnnotatorKey: String = ""
    /// CURVE: directory of `.pub` files of allowed clients (servers). Empty: a server refuses to start
    /// unless `curveAllowAny` is set.
    public var curveAllowedClients: String = ""
    /// CURVE without an allow-list: let in any client that has the server's public key (and warn).
    /// Off by default: a server with CURVE on and no `curve_allowed_clients` refuses to start.
    public var curveAllowAny = false
    /// Rejected trajectories in a row after which the learner evicts a worker; 0 never evicts.
    public var evictAfterBadBatches = 5

    /// The largest `socketBufferKiB` (1 GiB), well within libzmq's 32-bit option.
    public static let maxSocketBufferKiB = 1 << 20
    /// The most messages a trajectory queue holds (`queue_capacity`): queues are small on purpose.
    public static let maxQueueCapacity = 1024

    public init() {}

    /// This configuration for every role in one process: its queues, limits, heartbeats and
    /// eviction rule as set, with `inproc://` endpoints named after `run` and no CURVE (nothing
    /// leaves the process).
    public func linkedInProcess(run: String) -> TransportConfiguration {
        var t = self
        t.trajectories = "inproc://\(run)-trajectories"
        t.weights = "inproc://\(run)-weights"
        t.replay = "inproc://\(run)-replay"
        t.annotatorRequests = "inproc://\(run)-annotator-requests"
        t.annotatorLabels = "inproc://\(run)-annotator-labels"
        t.curveSecretKeyFile = ""
        t.curveServerKey = ""
        t.curveAnnotatorKey = ""
        t.curveAllowedClients = ""
        t.curveAllowAny = false
        return t
    }

    /// Removes the socket file an `ipc://` endpoint names (nothing else), once nothing listens
    /// there: libzmq leaves it behind, and it names nothing.
    public static func removeSocketFile(of endpoint: String) {
        guard endpoint.hasPrefix("ipc://") else { return }
        try? FileManager.default.removeItem(atPath: String(endpoint.dropFirst("ipc://".count)))
    }

    /// What is wrong with `host` as a role's host (`--learner`, `--replay`, `reward.annotator`),
    /// whose ports come from the endpoints `ports` names; nil when it is a host. An endpoint or a
    /// `host:port` would make an address nothing listens at (`tcp://10.0.0.5:47010:5557`).
    public static func hostProblem(_ host: String, ports: String) -> String? {
        let guide = "give the host only (e.g. 10.0.0.5, or [::1] for an IPv6 address); its ports come from the configuration (\(ports))"
        if host.contains("://") { return "'\(host)' is an endpoint: \(guide)" }
        if host.contains(where: { $0.isWhitespace || $0.isNewline || !$0.isASCII || $0 == "/" }) { return "'\(host)' is not a host name or address: \(guide)" }
        let outsideBrackets = host.hasPrefix("[") ? String(host.drop { $0 != "]" }.dropFirst()) : host
        if outsideBrackets.contains(":") { return "'\(host)' names a port: \(guide)" }
        return nil
    }

    /// The address a peer connects to, on `host`, for a tcp:// endpoint the other role binds:
    /// its port on `host`, whatever host the endpoint names (`tcp://10.0.0.5:5555` on `10.0.0.7`
    /// is `tcp://10.0.0.7:5555`). ipc:// and inproc:// endpoints are returned as they are. For a
    /// host the user named (`--learner`, `reward.annotator`): before, a named host replaced only
    /// `0.0.0.0` or `*`, so with an endpoint of a named interface it was silently not used.
    /// With no host, the endpoint as configured (`0.0.0.0` meaning this host).
    public static func endpoint(_ configured: String, onHost host: String?) -> String {
        guard let host else { return connectAddress(configured, host: "127.0.0.1") }
        guard let port = tcpPort(of: configured), port.allSatisfy(\.isNumber) else {
            return connectAddress(configured, host: host)
        }
        return "tcp://\(host):\(port)"
    }

    /// The text after a tcp:// endpoint's last colon (its port, or `*`); nil for another scheme or
    /// an endpoint with no colon after its scheme's.
    static func tcpPort(of endpoint: String) -> Substring? {
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":"),
              colon > endpoint.index(endpoint.startIndex, offsetBy: 5) else { return nil }
        return endpoint[endpoint.index(after: colon)...]
    }

    /// The address a peer connects to for an endpoint this node binds (`0.0.0.0` → `host`).
    public static func connectAddress(_ bind: String, host: String) -> String {
        bind.replacingOccurrences(of: "0.0.0.0", with: host).replacingOccurrences(of: "*", with: host)
    }

    /// The kernel buffer option of a socket that sends trajectories (none: the system's).
    public var trajectorySendBuffer: [SocketOption] { socketBufferKiB > 0 ? [.sendBuffer(bytes: socketBufferKiB << 10)] : [] }

    /// The kernel options of a socket that receives trajectories: its buffer (none: the system's),
    /// and keepalive. The learner never sends on these connections and they carry no ZMTP heartbeat
    /// (see ZeroMQWorkerLink), so without keepalive a vanished node's stayed open for good (trial C8:
    /// held 20 minutes, until the process was killed). A frozen process's kernel still answers probes.
    public var trajectoryReceiveOptions: [SocketOption] {
        (socketBufferKiB > 0 ? [.receiveBuffer(bytes: socketBufferKiB << 10)] : [])
            + (keepaliveSeconds > 0 ? [.tcpKeepalive(idleSeconds: keepaliveSeconds, intervalSeconds: max(1, keepaliveSeconds / 4), count: 3)] : [])
    }

    /// The receive high-water mark of a socket that takes trajectories: `queueCapacity`, but at least
    /// 2 under CURVE, where libzmq 4.3.4 let nothing through a mark of 1 (no CURVE worker ever
    /// joined; its credential message likely holds the one place).
    public var trajectoryReceiveHighWaterMark: Int { curveEnabled ? max(2, queueCapacity) : queueCapacity }

    /// Whether CURVE is on (a secret key file is configured).
    public var curveEnabled: Bool { !curveSecretKeyFile.isEmpty }

    /// Options for sockets this node binds: CURVE server with our secret key, or none.
    public func serverSecurity() throws -> [SocketOption] {
        guard curveEnabled else { return [] }
        return [.curveServer(secretKey: try key(curveSecretKeyFile, "transport.curve_secret_key_file"))]
    }

    /// Options for sockets this node connects: CURVE client of `curve_server_key` (or, with
    /// `annotator`, of `curve_annotator_key`), or none.
    public func clientSecurity(annotator: Bool = false) throws -> [SocketOption] {
        guard curveEnabled else { return [] }
        let secret = try key(curveSecretKeyFile, "transport.curve_secret_key_file")
        let (serverKey, field) = annotator ? (curveAnnotatorKey, "transport.curve_annotator_key") : (curveServerKey, "transport.curve_server_key")
        guard !serverKey.isEmpty else {
            throw ConfigurationError(field: field, problem: "CURVE is on (a secret key is set) but the server's public key is not")
        }
        let server = try key(serverKey, field)
        let pub: String
        do { pub = try CurveKeyPair.publicKey(forSecret: secret) } catch {
            throw ConfigurationError(field: "transport.curve_secret_key_file", problem: "\(error)")
        }
        return [.curveClient(serverKey: server, publicKey: pub, secretKey: secret)]
    }

    /// Who may connect to a server with this configuration, for its start-up log line.
    public var curveMode: String {
        Self.curveMode(secretKeyFile: curveEnabled ? curveSecretKeyFile : nil, allowList: curveAllowedClients.isEmpty ? nil : curveAllowedClients,
                       allowAny: "curve_allow_any")
    }

    /// The public key of the key pair whose secret key `file` holds; nil if it does not read.
    public static func publicKey(ofSecretKeyFile file: String) -> String? {
        (try? CurveKeyPair.readKey(from: file)).flatMap { try? CurveKeyPair.publicKey(forSecret: $0) }
    }

    /// A server's CURVE mode in words, with its own public key (what a client's curve_server_key
    /// must hold, so a mismatch shows in the logs); `allowAny` names the setting that lets anyone in.
    public static func curveMode(secretKeyFile: String?, allowList: String?, allowAny: String) -> String {
        guard let secretKeyFile else { return "off" }
        let key = publicKey(ofSecretKeyFile: secretKeyFile)
        return (allowList.map { "on, allow-list \($0)" } ?? "on, ANY client with the server's public key (\(allowAny))") + (key.map { ", public key \($0)" } ?? "")
    }

    /// The warning a server logs at start when CURVE lets in any client that has its public key.
    public static let allowAnyWarning = "CURVE is on WITHOUT an allow-list (transport.curve_allow_any): any client that has this server's public key can connect, send trajectories and receive weights. The public key is not a secret; set transport.curve_allowed_clients=DIR to admit only the keys in DIR/*.pub"

    /// Checks that a server may start with these CURVE settings: with CURVE on, either an allow-list
    /// or an explicit `curve_allow_any`. (Secure by default: the server's public key is meant to be
    /// handed out, so it must not be the only thing between a stranger and the learner.)
    public func checkServerCurve() throws {
        guard curveEnabled, curveAllowedClients.isEmpty, !curveAllowAny else { return }
        throw ConfigurationError(field: "transport.curve_allowed_clients", problem:
            "CURVE is on but no allow-list is set, so any client that has this server's public key could connect. "
            + "Set transport.curve_allowed_clients=DIR (a directory of the clients' .pub files), or pass --curve-allow-any "
            + "(transport.curve_allow_any=true) to accept any client with the public key")
    }

    /// Starts the allow-list ZAP handler when `curve_allowed_clients` is set (servers only). Throws
    /// when CURVE is on without an allow-list and `curve_allow_any` is not set (`checkServerCurve`).
    public func startAuthenticator(context: Context, logger: Logger) throws -> CurveAuthenticator? {
        try checkServerCurve()
        guard curveEnabled, !curveAllowedClients.isEmpty else { return nil }
        let keys: Set<String>
        do { keys = try CurveAuthenticator.publicKeys(inDirectory: curveAllowedClients) } catch {
            throw ConfigurationError(field: "transport.curve_allowed_clients", problem: "\(error)")
        }
        return try CurveAuthenticator(context: context, allowedPublicKeys: keys,
                                      onRefused: Self.logRefusals(logger, allowList: curveAllowedClients))
    }

    /// What a server logs of each CURVE handshake its allow-list refused, at most once a minute per
    /// key: the refused client is told nothing, so this is where a key left off the list shows.
    public static func logRefusals(_ logger: Logger, allowList: String) -> @Sendable (String, String) -> Void {
        let throttle = Mutex(LogThrottle(interval: 60))
        return { key, address in
            guard let suppressed = throttle.withLock({ $0.shouldLog(key, now: Clock.now) }) else { return }
            let more = suppressed > 0 ? " (and \(suppressed) more times, not logged)" : ""
            logger.warning("refused a CURVE handshake from \(address.isEmpty ? "a client" : address): public key \(key) is not on the allow-list \(allowList) (copy its .pub there to admit it)\(more)")
        }
    }

    private func key(_ pathOrKey: String, _ field: String) throws -> String {
        do { return try CurveKeyPair.readKey(from: pathOrKey) } catch {
            throw ConfigurationError(field: field, problem: "\(error)")
        }
    }

    /// Every endpoint with its configuration key.
    private var namedEndpoints: [(key: String, endpoint: String)] {
        [("transport.trajectories", trajectories), ("transport.weights", weights), ("transport.replay", replay),
         ("transport.annotator_requests", annotatorRequests), ("transport.annotator_labels", annotatorLabels)]
    }

    /// For a role started on its own (`yendor learner`, `worker`, `replay`): its peers are other
    /// processes, which an `inproc://` endpoint never reaches (a learner listening there waited for
    /// ever with no warning, trial C7). Only `yendor train` links roles in one process.
    public func validateAcrossProcesses() throws {
        if let (key, endpoint) = namedEndpoints.first(where: { $0.endpoint.hasPrefix("inproc://") }) {
            throw ConfigurationError(field: key, problem: "'\(endpoint)' reaches only this process, and a role started on its own talks to other processes: "
                                     + "use tcp:// (across machines) or ipc:// (this machine); `yendor train` links its roles in one process itself")
        }
    }

    /// Where an endpoint listens, for telling two apart: a TCP port (whatever the address: 0.0.0.0
    /// takes the port on every one), an ipc:// path or inproc:// name; nil for `*` (any port).
    static func listeningPlace(_ endpoint: String) -> String? {
        guard endpoint.hasPrefix("tcp://") else { return endpoint }
        guard let port = tcpPort(of: endpoint), port != "*" else { return nil }
        return "port \(port)"
    }

    public func validate() throws {
        for (name, endpoint) in namedEndpoints {
            let ok = ["tcp://", "ipc://", "inproc://"].contains { endpoint.hasPrefix($0) }
            if !ok { throw ConfigurationError(field: name, problem: "'\(endpoint)' must start with tcp://, ipc:// or inproc://") }
            // libzmq keeps the port's low 16 bits: tcp://host:99999 listened on 34463.
            if let port = Self.tcpPort(of: endpoint) {
                if port != "*" && !(Int(port).map { (1...65_535).contains($0) } ?? false) {
                    throw ConfigurationError(field: name, problem: "'\(endpoint)' needs a port in 1...65535 (or * to bind any)")
                }
            }
        }
        // One role listens on both of a pair: on one port its second bind failed as "in use by another
        // process" (trial T).
        for (a, b) in [(("transport.trajectories", trajectories), ("transport.weights", weights)),
                       (("transport.annotator_requests", annotatorRequests), ("transport.annotator_labels", annotatorLabels))] {
            if let place = Self.listeningPlace(a.1), place == Self.listeningPlace(b.1) {
                throw ConfigurationError(field: b.0, problem: "'\(b.1)' is on \(place), as \(a.0) ('\(a.1)') is: one role listens on both, so each needs its own")
            }
        }
        if !(heartbeatInterval > 0 && heartbeatInterval <= 3600) { throw ConfigurationError(field: "transport.heartbeat_interval", problem: "must be in (0, 3600] seconds") }
        if !(1...1000).contains(heartbeatMisses) { throw ConfigurationError(field: "transport.heartbeat_misses", problem: "must be in 1...1000") }
        // Each queued message may be a trajectory of megabytes, and libzmq takes the count as an int.
        if !(1...Self.maxQueueCapacity).contains(queueCapacity) {
            throw ConfigurationError(field: "transport.queue_capacity", problem: "must be in 1...\(Self.maxQueueCapacity), got \(queueCapacity)")
        }
        if !(leaveTimeout >= 0 && leaveTimeout <= 3600) { throw ConfigurationError(field: "transport.leave_timeout_s", problem: "must be in [0, 3600] seconds") }
        if !(0...Self.maxSocketBufferKiB).contains(socketBufferKiB) {
            throw ConfigurationError(field: "transport.socket_buffer_kib", problem: "must be in 0...\(Self.maxSocketBufferKiB) (0: the system's autotuning)")
        }
        // libzmq takes milliseconds as an int; an hour between tries is already a node gone.
        if !(1...3_600_000).contains(reconnectMilliseconds) { throw ConfigurationError(field: "transport.reconnect_ms", problem: "must be in 1...3600000") }
        if !(1...3_600_000).contains(connectTimeoutMilliseconds) { throw ConfigurationError(field: "transport.connect_timeout_ms", problem: "must be in 1...3600000") }
        if !(reconnectMilliseconds...3_600_000).contains(reconnectMaxMilliseconds) {
            throw ConfigurationError(field: "transport.reconnect_max_ms", problem: "must be in transport.reconnect_ms (\(reconnectMilliseconds))...3600000")
        }
        // In bytes (MiB << 20) the limit must stay a positive Int.
        if !(0...86_400).contains(keepaliveSeconds) { throw ConfigurationError(field: "transport.keepalive_s", problem: "must be in 0...86400 (0: off), got \(keepaliveSeconds)") }
        if !(1...4096).contains(maxMessageMiB) { throw ConfigurationError(field: "transport.max_message_mib", problem: "must be in 1...4096, got \(maxMessageMiB)") }
        if evictAfterBadBatches < 0 { throw ConfigurationError(field: "transport.evict_after_bad_batches", problem: "must be at least 0 (0 never evicts)") }
        // Half a CURVE setting would run in plaintext without a word: CURVE is on with the secret key.
        for (name, key) in [("transport.curve_server_key", curveServerKey), ("transport.curve_annotator_key", curveAnnotatorKey),
                            ("transport.curve_allowed_clients", curveAllowedClients)] where !key.isEmpty && !curveEnabled {
            throw ConfigurationError(field: name, problem: "is set but transport.curve_secret_key_file is not: CURVE needs this node's own key pair too (yendor keys generate), or it would run in plaintext")
        }
    }
}

/// The precision of published weights (`transport.weights_precision`), named as the wire's dtypes.
public enum WeightsPrecision: String, Sendable, CaseIterable, ConfigEnum {
    /// Single precision: the learner's own weights, as they are.
    case f32
    /// Half precision, rounded to nearest: half the bytes.
    case f16
}
