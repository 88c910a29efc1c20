/// An async semaphore: at most `limit` holders at once; the others wait in FIFO order.
actor ConcurrencyLimit {
    private let limit: Int
    private var holders = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func acquire() async {
        if holders < limit {
            holders += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            holders -= 1
        } else {
            // Hand the slot straight to the next waiter; `holders` stays the same.
            waiters.removeFirst().resume()
        }
    }
}
