import Synchronization

/// A bounded FIFO between threads and tasks. Async senders suspend while it is full (backpressure);
/// the non-async `trySend`/`tryReceive` serve dedicated threads that must never block on Swift tasks.
///
/// `onReceive` runs after an element is taken and `onSend` after one is added, outside the lock: a
/// socket thread uses them to wake itself.
///
/// Continuations are resumed only after the lock is released. Resuming one takes its task's status
/// lock; cancelling a task holds that lock while its cancellation handler takes this queue's lock.
/// Resuming under the lock deadlocked a worker on SIGTERM (a socket thread's `trySend` against the
/// task group's `cancelAll`).
public final class AsyncBoundedQueue<Element: Sendable>: Sendable {
    private struct Waiter<C> {
        let id: UInt64
        let continuation: C
    }

    private struct State {
        var buffer: [Element?] = []
        var head = 0
        var count = 0
        var receivers: [Waiter<CheckedContinuation<Element?, Never>>] = []
        var senders: [(waiter: Waiter<CheckedContinuation<Bool, Never>>, element: Element)] = []
        var closed = false
        var nextID: UInt64 = 0

        mutating func push(_ e: Element, capacity: Int) {
            buffer[(head + count) % capacity] = e
            count += 1
        }

        mutating func pop(capacity: Int) -> Element? {
            guard count > 0 else { return nil }
            let e = buffer[head]
            buffer[head] = nil
            head = (head + 1) % capacity
            count -= 1
            return e
        }

        /// After a pop, the longest-waiting sender's element takes the free slot. Returns that
        /// sender, for the caller to resume (with true) once the lock is released.
        mutating func admitWaitingSender(capacity: Int) -> CheckedContinuation<Bool, Never>? {
            guard !senders.isEmpty, count < capacity else { return nil }
            let s = senders.removeFirst()
            push(s.element, capacity: capacity)
            return s.waiter.continuation
        }

        /// Hands the element to the longest-waiting receiver (returned, to be resumed outside the
        /// lock) or buffers it. Returns nil, buffering nothing, when the queue is full.
        mutating func deliver(_ element: Element, capacity: Int) -> Delivery? {
            if !receivers.isEmpty { return .toReceiver(receivers.removeFirst().continuation) }
            guard count < capacity else { return nil }
            push(element, capacity: capacity)
            return .buffered
        }
    }

    private enum Delivery {
        case toReceiver(CheckedContinuation<Element?, Never>)
        case buffered
    }

    /// Maximum number of buffered elements.
    public let capacity: Int
    private let state: Mutex<State>
    private let onReceive: (@Sendable () -> Void)?
    private let onSend: (@Sendable () -> Void)?

    public init(capacity: Int, onSend: (@Sendable () -> Void)? = nil, onReceive: (@Sendable () -> Void)? = nil) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        var s = State()
        s.buffer = Array(repeating: nil, count: capacity)
        state = Mutex(s)
        self.onSend = onSend
        self.onReceive = onReceive
    }

    /// Elements buffered now.
    public var count: Int { state.withLock { $0.count } }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Receivers and senders suspended now (for tests that wait until one is).
    public var waiting: (receivers: Int, senders: Int) { state.withLock { ($0.receivers.count, $0.senders.count) } }

    /// Adds an element, waiting while the queue is full. Returns false if the queue was closed
    /// (the element was not added). Cancellation also returns false.
    @discardableResult
    public func send(_ element: Element) async -> Bool {
        if trySend(element) { return true }
        let id = state.withLock { s -> UInt64 in s.nextID += 1; return s.nextID }
        let added = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let outcome: (added: Bool, delivery: Delivery?)? = state.withLock { s in
                    if s.closed || Task.isCancelled { return (false, nil) }
                    if let delivery = s.deliver(element, capacity: capacity) { return (true, delivery) }
                    s.senders.append((Waiter(id: id, continuation: c), element))
                    return nil
                }
                guard let outcome else { return }
                if case .toReceiver(let receiver) = outcome.delivery { receiver.resume(returning: element) }
                c.resume(returning: outcome.added)
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Bool, Never>? in
                guard let i = s.senders.firstIndex(where: { $0.waiter.id == id }) else { return nil }
                return s.senders.remove(at: i).waiter.continuation
            }
            c?.resume(returning: false)
        }
        if added { onSend?() }
        return added
    }

    /// Adds an element if there is room now. Returns false when full or closed.
    @discardableResult
    public func trySend(_ element: Element) -> Bool {
        let delivery = state.withLock { s -> Delivery? in
            s.closed ? nil : s.deliver(element, capacity: capacity)
        }
        if case .toReceiver(let receiver) = delivery { receiver.resume(returning: element) }
        if delivery != nil { onSend?() }
        return delivery != nil
    }

    /// Takes the oldest element, waiting while the queue is empty. Returns nil once the queue is
    /// closed and drained, or when the task is cancelled.
    public func receive() async -> Element? {
        if let e = tryReceive() { return e }
        let id = state.withLock { s -> UInt64 in s.nextID += 1; return s.nextID }
        let element = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Element?, Never>) in
                let ready: (element: Element?, sender: CheckedContinuation<Bool, Never>?)? = state.withLock { s in
                    if let e = s.pop(capacity: capacity) { return (e, s.admitWaitingSender(capacity: capacity)) }
                    if s.closed || Task.isCancelled { return (nil, nil) }
                    s.receivers.append(Waiter(id: id, continuation: c))
                    return nil
                }
                guard let ready else { return }
                ready.sender?.resume(returning: true)
                c.resume(returning: ready.element)
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Element?, Never>? in
                guard let i = s.receivers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.receivers.remove(at: i).continuation
            }
            c?.resume(returning: nil)
        }
        if element != nil { onReceive?() }
        return element
    }

    /// Takes the oldest element if there is one.
    public func tryReceive() -> Element? {
        let (e, sender) = state.withLock { s -> (Element?, CheckedContinuation<Bool, Never>?) in
            guard let e = s.pop(capacity: capacity) else { return (nil, nil) }
            return (e, s.admitWaitingSender(capacity: capacity))
        }
        sender?.resume(returning: true)
        if e != nil { onReceive?() }
        return e
    }

    /// Closes the queue: waiting senders get false, waiting receivers get nil once it is drained.
    /// Returns what was still buffered or waiting to be sent, so the caller can count or save it.
    @discardableResult
    public func close() -> [Element] {
        let (receivers, senders, left) = state.withLock { s in
            s.closed = true
            var left: [Element] = []
            while let e = s.pop(capacity: capacity) { left.append(e) }
            left.append(contentsOf: s.senders.map(\.element))
            let r = s.receivers, snd = s.senders
            s.receivers = []
            s.senders = []
            return (r, snd, left)
        }
        for r in receivers { r.continuation.resume(returning: nil) }
        for s in senders { s.waiter.continuation.resume(returning: false) }
        return left
    }
}
