/// The envs of an environment server that one vector env steps: slice `split` of `splits` equal
/// slices of the server's N envs (envs N·split/splits ..< N·(split+1)/splits), or the whole server.
///
/// Several rollout actors stepping disjoint slices of one server keep its Python process busy: it
/// steps one slice while the worker decodes another's reply and computes its next actions (Sample
/// Factory's double-buffered sampling).
public struct EnvServerSlice: Sendable, Hashable, CustomStringConvertible {
    /// The server's ZeroMQ endpoint, e.g. `tcp://10.0.0.5:5600`.
    public var endpoint: String
    /// Which slice, `0..<splits`.
    public var split: Int
    /// How many slices the server's envs are cut into (1: the whole server).
    public var splits: Int

    public init(endpoint: String, split: Int = 0, splits: Int = 1) {
        precondition(splits >= 1 && (0..<splits).contains(split), "split \(split) of \(splits)")
        self.endpoint = endpoint
        self.split = split
        self.splits = splits
    }

    public var description: String { splits == 1 ? endpoint : "\(endpoint) (slice \(split + 1) of \(splits))" }

    /// The slices of `endpoints`, each cut into `splits`, shared out among `actors`: actor `a` gets
    /// every `actors`-th one starting at `a`, ordered so that one server's slices go to different
    /// actors (`[]` for an actor with none).
    public static func shares(of endpoints: [String], splits: Int, actors: Int) -> [[EnvServerSlice]] {
        let all = endpoints.flatMap { e in (0..<splits).map { EnvServerSlice(endpoint: e, split: $0, splits: splits) } }
        return (0..<actors).map { a in all.enumerated().filter { $0.offset % actors == a }.map(\.element) }
    }
}
