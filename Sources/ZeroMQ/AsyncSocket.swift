import CZeroMQ
import Foundation
import Synchronization
import YendorSupport
#if canImport(Glibc)
import Glibc
#endif

/// A socket for async code. A dedicated thread owns the libzmq socket and moves messages between it
/// and two bounded queues (inbox, outbox), so no libzmq call ever blocks Swift's cooperative thread
/// pool. A third, small queue carries commands the thread runs on the socket (`perform`: options,
/// connects, and sends that must not wait behind the outbox, such as a worker's Hello).
///
/// - Sending suspends while the outbox is full; the outbox drains only as fast as libzmq accepts
///   messages (its high-water mark), so a slow peer slows the sender instead of growing memory.
/// - Receiving reads from the inbox; when the inbox is full the thread stops reading the socket and
///   libzmq's receive high-water mark pushes back on the peers.
/// - `close()` stops the thread, which closes the socket itself (libzmq sockets must be closed by
///   their owning thread).
public final class AsyncSocket: Sendable {
    /// One multipart message as received (frames stay in libzmq's buffers).
    public typealias Incoming = [Message]

    /// The socket type.
    public let type: SocketType
    /// A name for logs and thread names, e.g. `learner.trajectories`.
    public let name: String

    private let inbox: AsyncBoundedQueue<Incoming>
    private let outbox: AsyncBoundedQueue<[[UInt8]]>
    private let commands: AsyncBoundedQueue<Command>
    private let wake: WakePipe
    private let stopped = Atomic<Bool>(false)
    /// Set by `close(flushingWithin:givingUpAfter:)`: until when (monotonic nanoseconds) the
    /// stopping thread still hands queued messages to libzmq (0 when closing drops them), and how
    /// long it waits for the peer to take one before it takes the peer as gone.
    private let flushUntil = Atomic<UInt64>(0), flushStall = Atomic<UInt64>(0)
    /// Messages queued but not handed to libzmq when the thread stopped (dropped).
    private let unsentAtClose = Atomic<Int>(0)
    private let finished: AsyncBoundedQueue<ZMQError?>
    private let failure = Mutex<ZMQError?>(nil)

    private struct Command: Sendable {
        let body: @Sendable (Socket) throws -> Void
        let done: @Sendable (Error?) -> Void
    }

    /// Creates the socket on a new thread and runs `setup` there (set options, bind, connect).
    /// - Parameters:
    ///   - inboxCapacity: received messages buffered before the thread stops reading.
    ///   - outboxCapacity: messages buffered for sending before `send` suspends.
    public init(
        context: Context, type: SocketType, name: String,
        inboxCapacity: Int = 64, outboxCapacity: Int = 64,
        setup: @escaping @Sendable (Socket) throws -> Void = { _ in }
    ) async throws {
        self.type = type
        self.name = name
        let wake = try WakePipe()
        self.wake = wake
        inbox = AsyncBoundedQueue(capacity: inboxCapacity, onReceive: { wake.signal() })
        outbox = AsyncBoundedQueue(capacity: outboxCapacity, onSend: { wake.signal() })
        commands = AsyncBoundedQueue(capacity: 16, onSend: { wake.signal() })
        finished = AsyncBoundedQueue(capacity: 1)

        let started = AsyncBoundedQueue<Result<Void, Error>>(capacity: 1)
        let thread = Thread { [self] in
            let socket: Socket
            do {
                socket = try Socket(context: context, type: type)
                try setup(socket)
            } catch {
                started.trySend(.failure(error))
                finished.trySend(nil)
                return
            }
            started.trySend(.success(()))
            let error = self.runLoop(socket: socket)
            socket.close()
            failure.withLock { $0 = error }
            inbox.close()
            unsentAtClose.add(outbox.close().count, ordering: .relaxed)
            for c in commands.close() { c.done(ZMQError(code: ZMQError.ETERM_ZMQ, operation: "socket closed")) }
            finished.trySend(error)
        }
        thread.name = "zmq.\(name)"
        thread.stackSize = 1 << 20
        thread.start()
        // Awaited in a task of its own, which a cancellation of the caller does not reach (a
        // cancelled receive returns nil): the thread has made the socket either way, and a caller
        // such as a worker saying Goodbye while it is being cancelled still gets it.
        switch await Task(operation: { await started.receive() }).value! {
        case .success: break
        case .failure(let error): throw error
        }
    }

    /// Queues a message for sending, waiting while the outbox is full.
    /// Throws when the socket is closed (the message was not sent).
    public func send(_ parts: [[UInt8]]) async throws {
        guard await outbox.send(parts) else { throw closedError() }
    }

    /// Queues a single-frame message.
    public func send(_ frame: [UInt8]) async throws { try await send([frame]) }

    /// Queues a message if the outbox has room now; false when full or closed.
    @discardableResult
    public func trySend(_ parts: [[UInt8]]) -> Bool { outbox.trySend(parts) }

    /// The next message, or nil once the socket is closed (or the task cancelled).
    public func receive() async -> Incoming? { await inbox.receive() }

    /// A received message if one is waiting now.
    public func tryReceive() -> Incoming? { inbox.tryReceive() }

    /// Messages waiting in the inbox.
    public var inboxDepth: Int { inbox.count }
    /// Messages waiting in the outbox.
    public var outboxDepth: Int { outbox.count }
    /// Messages the outbox holds before `send` waits.
    public var outboxCapacity: Int { outbox.capacity }
    /// Senders waiting for room in the outbox, and receivers waiting for a message, now.
    public var waiting: (senders: Int, receivers: Int) { (outbox.waiting.senders, inbox.waiting.receivers) }

    /// Runs `body` on the socket's own thread (subscribe, connect, disconnect, read an option).
    public func perform(_ body: @escaping @Sendable (Socket) throws -> Void) async throws {
        // The outcome, or the caller waiting for it: whichever comes first leaves its half here.
        let outcome = Mutex<(result: Result<Void, Error>?, waiter: CheckedContinuation<Result<Void, Error>, Never>?)>((nil, nil))
        let command = Command(body: body, done: { error in
            let result: Result<Void, Error> = error.map { .failure($0) } ?? .success(())
            let waiter = outcome.withLock { s -> CheckedContinuation<Result<Void, Error>, Never>? in
                if s.waiter == nil { s.result = result }
                return s.waiter
            }
            waiter?.resume(returning: result)
        })
        guard await commands.send(command) else { throw closedError() }
        // Not cancellable: the command is queued, and the socket's thread always calls `done` (it
        // runs the command, or fails it on close), so a cancelled caller still learns the outcome
        // (a worker's last Goodbye is sent from a cancelled task).
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<Void, Error>, Never>) in
            let ready = outcome.withLock { s -> Result<Void, Error>? in
                if s.result == nil { s.waiter = c }
                return s.result
            }
            if let ready { c.resume(returning: ready) }
        }
        try result.get()
    }

    /// Stops the thread, which closes the socket; waits until it has. Unsent messages are dropped after
    /// the socket's linger period. Idempotent.
    public func close() async {
        if !stopped.exchange(true, ordering: .acquiringAndReleasing) { wake.signal() }
        if let e = await finished.receive() { finished.trySend(e) } else { finished.trySend(nil) }
    }

    /// Closes like `close()`, but the thread first goes on handing what the outbox holds to libzmq
    /// for up to `timeout`, and then gives the socket the rest of `timeout` as its linger, so libzmq
    /// delivers what it took before the context's `terminate` returns. A peer that takes nothing for
    /// `stall` is taken as gone (a learner that died, one stopped): the rest is dropped at once.
    /// Returns the messages that were still queued (dropped): 0 when the peer took everything.
    public func close(flushingWithin timeout: Duration, givingUpAfter stall: Duration = .seconds(2)) async -> Int {
        flushStall.store(Self.nanoseconds(stall), ordering: .relaxed)
        _ = flushUntil.compareExchange(expected: 0, desired: Self.monotonicNanos() + Self.nanoseconds(timeout), ordering: .relaxed)
        await close()
        return unsentAtClose.load(ordering: .relaxed)
    }

    private static func nanoseconds(_ d: Duration) -> UInt64 {
        let (seconds, attoseconds) = d.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    private static func monotonicNanos() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Why the thread stopped on its own (e.g. the context was terminated), if it did.
    public var error: ZMQError? { failure.withLock { $0 } }

    private func closedError() -> Error {
        error ?? ZMQError(code: ZMQError.ETERM_ZMQ, operation: "\(name): socket closed")
    }

    // MARK: The socket thread

    private func runLoop(socket: Socket) -> ZMQError? {
        var poller = Poller()
        let socketItem = poller.add(socket, [])
        let wakeItem = poller.add(fileDescriptor: wake.fd, .readable)
        var pendingSend: [[UInt8]]? = nil
        do {
            var timeout = 250
            var lastHandedOver: UInt64?  // while stopping: when the peer last took a message
            while true {
                if stopped.load(ordering: .acquiring) {
                    // Stopping: done, unless `close(flushingWithin:)` left time to hand the rest over
                    // and the peer still takes messages.
                    if pendingSend == nil { pendingSend = outbox.tryReceive() }
                    let until = flushUntil.load(ordering: .relaxed), now = Self.monotonicNanos()
                    let since = lastHandedOver ?? now
                    lastHandedOver = since
                    guard pendingSend != nil, until > now, now - since < flushStall.load(ordering: .relaxed) else { break }
                    timeout = min(250, Int((min(until, since + flushStall.load(ordering: .relaxed)) - now) / 1_000_000) + 1)
                }
                while let command = commands.tryReceive() {
                    do { try command.body(socket); command.done(nil) } catch { command.done(error) }
                }
                if pendingSend == nil { pendingSend = outbox.tryReceive() }
                var want: Poller.Events = []
                if inbox.count < inbox.capacity { want.insert(.readable) }
                if pendingSend != nil { want.insert(.writable) }
                poller.set(socketItem, want)
                // The timeout is a safety net only; the eventfd wakes the loop for every queue change.
                try poller.poll(timeout: timeout)
                if poller.ready(wakeItem).contains(.readable) { wake.drain() }
                let ready = poller.ready(socketItem)
                if ready.contains(.writable) {
                    while let parts = pendingSend {
                        guard try socket.send(parts: parts, dontWait: true) else { break }
                        pendingSend = outbox.tryReceive()
                        if lastHandedOver != nil { lastHandedOver = Self.monotonicNanos() }
                    }
                }
                if ready.contains(.readable) {
                    while inbox.count < inbox.capacity, let message = try socket.receive(dontWait: true) {
                        inbox.trySend(message)
                    }
                }
            }
            if pendingSend != nil {
                unsentAtClose.add(1, ordering: .relaxed)  // the peer is gone or too slow: no linger either
            } else if case let until = flushUntil.load(ordering: .relaxed), until > Self.monotonicNanos() {
                try? socket.set(.linger(milliseconds: Int((until - Self.monotonicNanos()) / 1_000_000)))
            }
            return nil
        } catch let error as ZMQError {
            return error
        } catch {
            return ZMQError(code: EINVAL, operation: "\(error)")
        }
    }
}

/// A non-blocking self-pipe: other threads signal it to wake a socket thread blocked in `zmq_poll`.
final class WakePipe: Sendable {
    /// The read end, polled by the socket thread.
    let fd: Int32
    private let writeEnd: Int32

    init() throws {
        var ends: [Int32] = [0, 0]
        if pipe(&ends) != 0 { throw ZMQError(code: errno, operation: "pipe") }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        fd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        Glibc.close(fd)
        Glibc.close(writeEnd)
    }

    /// A full pipe already wakes the reader, so a failed write needs no retry.
    func signal() {
        var one: UInt8 = 1
        _ = write(writeEnd, &one, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(fd, &buffer, buffer.count) > 0 {}
    }
}
