import Foundation

/// The process's limit on open files (RLIMIT_NOFILE).
enum OpenFileLimit {
    /// Raises the soft limit to the hard one. A learner holds about 40 descriptors plus 2 per TCP
    /// worker, a worker more with env servers; out of them, libzmq stops accepting connections
    /// without a word, and libdispatch ends the process with SIGILL (trial Y). The usual soft limit
    /// (1,024) is far below the usual hard one, which servers commonly take.
    static func raise() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
