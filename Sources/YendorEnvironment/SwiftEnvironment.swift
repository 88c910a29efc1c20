/// An environment a Swift program adds to Yendor without changing it: a task name, the spec its envs
/// write, and how to make them. Registered (`EnvironmentRegistry.register`) before `Yendor.runCommandLine()`
/// runs, it trains with `--env swift:NAME` (`env.kind: swift`, `env.task: NAME`) as Dungeon and NLE
/// do: worker processes that program starts make it too, and the learner builds its network from
/// `spec`. Examples/Corridor is one.
public struct SwiftEnvironment: Sendable {
    /// The task name (`env.task`), unique among the registered ones.
    public var name: String
    /// What every env made writes (each made env's `spec` must equal it).
    public var spec: ObservationSpec
    /// What the annotator judges captions against when `reward.goal` is `auto`.
    public var goal: Goal
    /// Whether an episode can be won, so that `FinishedEpisode.success` and the success rate mean
    /// something; false for score-like tasks.
    public var definesSuccess: Bool
    /// Makes `count` envs seeded from `seed` (a run's actors get different seeds).
    public var make: @Sendable (_ count: Int, _ seed: UInt64) throws -> any VectorEnvironment

    public init(name: String, spec: ObservationSpec, goal: Goal = .score, definesSuccess: Bool = true,
                make: @escaping @Sendable (_ count: Int, _ seed: UInt64) throws -> any VectorEnvironment) {
        self.name = name
        self.spec = spec
        self.goal = goal
        self.definesSuccess = definesSuccess
        self.make = make
    }
}
