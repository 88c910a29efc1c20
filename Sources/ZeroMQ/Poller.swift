import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// Waits on several sockets (and plain file descriptors) at once with `zmq_poll`.
public struct Poller {
    /// What to wait for on one item.
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: Int16(ZMQ_POLLIN))
        public static let writable = Events(rawValue: Int16(ZMQ_POLLOUT))
    }

    private var items: [zmq_pollitem_t] = []

    public init() {}

    /// Adds a socket; returns its index for `ready(_:)`.
    @discardableResult
    public mutating func add(_ socket: Socket, _ events: Events) -> Int {
        items.append(zmq_pollitem_t(socket: socket.handle, fd: -1, events: events.rawValue, revents: 0))
        return items.count - 1
    }

    /// Adds a file descriptor (an eventfd that wakes a socket thread, for instance).
    @discardableResult
    public mutating func add(fileDescriptor fd: Int32, _ events: Events) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fd, events: events.rawValue, revents: 0))
        return items.count - 1
    }

    /// Changes what item `index` waits for.
    public mutating func set(_ index: Int, _ events: Events) { items[index].events = events.rawValue }

    public mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    /// Waits up to `timeout` milliseconds (-1 forever). Returns the number of ready items.
    @discardableResult
    public mutating func poll(timeout milliseconds: Int) throws -> Int {
        let n = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), milliseconds) }
        if n < 0 {
            let e = zmq_errno()
            if e == EINTR { return 0 }
            throw ZMQError(code: e, operation: "zmq_poll")
        }
        return Int(n)
    }

    /// The events ready on item `index` after the last `poll`.
    public func ready(_ index: Int) -> Events { Events(rawValue: items[index].revents) }
}
