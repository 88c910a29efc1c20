import CZeroMQ

/// The socket options Yendor sets. Durations are in milliseconds, as libzmq takes them.
public enum SocketOption: Sendable {
    /// Messages queued for sending per peer before the socket blocks (PUSH, DEALER) or drops (PUB).
    case sendHighWaterMark(Int)
    /// Messages queued on receipt per peer before libzmq stops reading from it.
    case receiveHighWaterMark(Int)
    /// The kernel's send buffer of each TCP connection (SO_SNDBUF), in bytes; Linux doubles it and
    /// stops autotuning it. -1 keeps the system's. High-water marks count messages, not bytes: an
    /// autotuned buffer may hold megabytes more.
    case sendBuffer(bytes: Int)
    /// The kernel's receive buffer of each TCP connection (SO_RCVBUF), in bytes, as `sendBuffer`.
    case receiveBuffer(bytes: Int)
    /// How long `close` keeps unsent messages; 0 drops them at once, -1 waits forever (never used here).
    case linger(milliseconds: Int)
    /// The identity a ROUTER peer sees for this DEALER/REQ socket.
    case routingID([UInt8])
    /// First reconnect delay after a peer disappears.
    case reconnectInterval(milliseconds: Int)
    /// Upper bound of the exponential reconnect backoff (0 disables backoff).
    case reconnectIntervalMax(milliseconds: Int)
    /// ZMTP PING interval; 0 disables heartbeats.
    case heartbeatInterval(milliseconds: Int)
    /// How long the remote peer should wait for traffic before dropping us (sent in PING, 0.1 s units).
    case heartbeatTTL(milliseconds: Int)
    /// How long to wait for a PONG before closing the connection.
    case heartbeatTimeout(milliseconds: Int)
    /// Peers sending a larger message are disconnected; -1 means no limit.
    case maxMessageSize(Int)
    /// SUB: receive messages that start with this prefix (empty = everything).
    case subscribe([UInt8])
    /// Blocking receive timeout; -1 blocks forever.
    case receiveTimeout(milliseconds: Int)
    /// Blocking send timeout; -1 blocks forever.
    case sendTimeout(milliseconds: Int)
    /// Queue messages only to completed connections (no queueing for peers still connecting).
    case immediate(Bool)
    /// ROUTER: fail with EHOSTUNREACH instead of silently dropping messages to unknown peers.
    case routerMandatory(Bool)
    /// Time allowed for a TCP connect before trying again; 0 uses the system's.
    case connectTimeout(milliseconds: Int)
    /// Kernel TCP keepalive: after `idleSeconds` of silence the peer is probed every
    /// `intervalSeconds`, and the connection closed after `count` unanswered probes.
    case tcpKeepalive(idleSeconds: Int, intervalSeconds: Int, count: Int)
    /// Act as a CURVE server with this secret key: clients must know the matching public key.
    case curveServer(secretKey: String)
    /// Act as a CURVE client of the server whose public key is given, with our own key pair.
    case curveClient(serverKey: String, publicKey: String, secretKey: String)

    func apply(to socket: UnsafeMutableRawPointer) throws {
        switch self {
        case .sendHighWaterMark(let v): try setInt(socket, ZMQ_SNDHWM, v, "ZMQ_SNDHWM")
        case .receiveHighWaterMark(let v): try setInt(socket, ZMQ_RCVHWM, v, "ZMQ_RCVHWM")
        case .sendBuffer(let bytes): try setInt(socket, ZMQ_SNDBUF, bytes, "ZMQ_SNDBUF")
        case .receiveBuffer(let bytes): try setInt(socket, ZMQ_RCVBUF, bytes, "ZMQ_RCVBUF")
        case .linger(let v): try setInt(socket, ZMQ_LINGER, v, "ZMQ_LINGER")
        case .routingID(let id): try setBytes(socket, ZMQ_ROUTING_ID, id, "ZMQ_ROUTING_ID")
        case .reconnectInterval(let v): try setInt(socket, ZMQ_RECONNECT_IVL, v, "ZMQ_RECONNECT_IVL")
        case .reconnectIntervalMax(let v): try setInt(socket, ZMQ_RECONNECT_IVL_MAX, v, "ZMQ_RECONNECT_IVL_MAX")
        case .heartbeatInterval(let v): try setInt(socket, ZMQ_HEARTBEAT_IVL, v, "ZMQ_HEARTBEAT_IVL")
        case .heartbeatTTL(let v): try setInt(socket, ZMQ_HEARTBEAT_TTL, v, "ZMQ_HEARTBEAT_TTL")
        case .heartbeatTimeout(let v): try setInt(socket, ZMQ_HEARTBEAT_TIMEOUT, v, "ZMQ_HEARTBEAT_TIMEOUT")
        case .maxMessageSize(let v):
            var value = Int64(v)
            try set(socket, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size, "ZMQ_MAXMSGSIZE")
        case .subscribe(let prefix): try setBytes(socket, ZMQ_SUBSCRIBE, prefix, "ZMQ_SUBSCRIBE")
        case .receiveTimeout(let v): try setInt(socket, ZMQ_RCVTIMEO, v, "ZMQ_RCVTIMEO")
        case .sendTimeout(let v): try setInt(socket, ZMQ_SNDTIMEO, v, "ZMQ_SNDTIMEO")
        case .immediate(let on): try setInt(socket, ZMQ_IMMEDIATE, on ? 1 : 0, "ZMQ_IMMEDIATE")
        case .routerMandatory(let on): try setInt(socket, ZMQ_ROUTER_MANDATORY, on ? 1 : 0, "ZMQ_ROUTER_MANDATORY")
        case .connectTimeout(let v): try setInt(socket, ZMQ_CONNECT_TIMEOUT, v, "ZMQ_CONNECT_TIMEOUT")
        case .tcpKeepalive(let idle, let interval, let count):
            try setInt(socket, ZMQ_TCP_KEEPALIVE, 1, "ZMQ_TCP_KEEPALIVE")
            try setInt(socket, ZMQ_TCP_KEEPALIVE_IDLE, idle, "ZMQ_TCP_KEEPALIVE_IDLE")
            try setInt(socket, ZMQ_TCP_KEEPALIVE_INTVL, interval, "ZMQ_TCP_KEEPALIVE_INTVL")
            try setInt(socket, ZMQ_TCP_KEEPALIVE_CNT, count, "ZMQ_TCP_KEEPALIVE_CNT")
        case .curveServer(let secret):
            try setInt(socket, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER")
            try setKey(socket, ZMQ_CURVE_SECRETKEY, secret, "ZMQ_CURVE_SECRETKEY")
        case .curveClient(let server, let pub, let secret):
            try setKey(socket, ZMQ_CURVE_SERVERKEY, server, "ZMQ_CURVE_SERVERKEY")
            try setKey(socket, ZMQ_CURVE_PUBLICKEY, pub, "ZMQ_CURVE_PUBLICKEY")
            try setKey(socket, ZMQ_CURVE_SECRETKEY, secret, "ZMQ_CURVE_SECRETKEY")
        }
    }

    private func set(_ s: UnsafeMutableRawPointer, _ option: Int32, _ value: UnsafeRawPointer?, _ size: Int,
                     _ name: String) throws {
        if zmq_setsockopt(s, option, value, size) != 0 { throw ZMQError.last("zmq_setsockopt(\(name))") }
    }

    private func setInt(_ s: UnsafeMutableRawPointer, _ option: Int32, _ v: Int, _ name: String) throws {
        guard let value = Int32(exactly: v) else {
            throw ZMQError(code: EINVAL, operation: "zmq_setsockopt(\(name), \(v)): value out of range")
        }
        var copy = value
        try set(s, option, &copy, MemoryLayout<Int32>.size, name)
    }

    private func setBytes(_ s: UnsafeMutableRawPointer, _ option: Int32, _ bytes: [UInt8], _ name: String) throws {
        try bytes.withUnsafeBytes { try set(s, option, $0.baseAddress, $0.count, name) }
    }

    /// CURVE keys are given in Z85 (40 characters); libzmq takes them as 41 bytes with the terminator.
    private func setKey(_ s: UnsafeMutableRawPointer, _ option: Int32, _ key: String, _ name: String) throws {
        guard key.utf8.count == 40, (try? Z85.decode(key)) != nil else {
            throw ZMQError(code: EINVAL, operation: "zmq_setsockopt(\(name)): a CURVE key must be 40 Z85 characters")
        }
        try key.withCString { try set(s, option, $0, 41, name) }
    }
}
