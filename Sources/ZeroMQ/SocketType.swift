import CZeroMQ

/// The ZeroMQ socket types Yendor's roles use.
public enum SocketType: Sendable, CaseIterable {
    case push, pull, pub, sub, router, dealer, pair, rep

    var raw: Int32 {
        switch self {
        case .push: return ZMQ_PUSH
        case .pull: return ZMQ_PULL
        case .pub: return ZMQ_PUB
        case .sub: return ZMQ_SUB
        case .router: return ZMQ_ROUTER
        case .dealer: return ZMQ_DEALER
        case .pair: return ZMQ_PAIR
        case .rep: return ZMQ_REP
        }
    }
}
