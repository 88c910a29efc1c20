/// One labeling request as clients send it: a task and the goal it is judged against.
public struct LabelRequest: Hashable, Sendable {
    public var goal: Goal
    public var task: LabelTask

    public init(goal: Goal, task: LabelTask) {
        self.goal = goal
        self.task = task
    }

    public static func classify(_ caption: String, goal: Goal) -> LabelRequest {
        LabelRequest(goal: goal, task: .classify(caption: caption))
    }

    public static func rank(_ first: String, _ second: String, goal: Goal) -> LabelRequest {
        LabelRequest(goal: goal, task: .rank(first: first, second: second))
    }
}
