import ZeroMQ

extension Socket {
    /// A PULL socket bound to a free loopback TCP port (its `lastEndpoint`), for a peer process to
    /// push to. A receive gives up after `milliseconds`: a guard against a hang, not a timing check.
    static func pullOnLoopback(_ context: Context, receiveTimeout milliseconds: Int) throws -> Socket {
        let pull = try Socket(context: context, type: .pull)
        try pull.set(.receiveTimeout(milliseconds: milliseconds))
        try pull.bind("tcp://127.0.0.1:*")
        return pull
    }
}
