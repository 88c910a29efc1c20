import Foundation
import YendorLearner

/// Checkpoint layout in the run directory: `checkpoints/ckpt-<env steps>/{learner.ckpt,state.json}`
/// and a `checkpoints/latest` file naming the newest complete one. The pointer is replaced
/// atomically after the directory is complete, so a crash mid-write leaves the previous checkpoint
/// in force. The three newest are kept.
struct Checkpoints {
    let directory: URL

    /// Service counters saved next to the learner's own state.
    struct State: Codable {
        var envSteps: UInt64
        var episodes: Int
        var updates: Int
        var policyVersion: Int64
        var modelSignature: String
    }

    /// Writes a checkpoint; `extra` may add files to its directory before it becomes visible.
    /// Returns the checkpoint's directory.
    @discardableResult
    func save(learner: APPOLearner, state: State, extra: (URL) throws -> Void = { _ in }) throws -> URL {
        let name = "ckpt-\(state.envSteps)"
        let final = directory.appendingPathComponent(name)
        let temp = directory.appendingPathComponent(".\(name).tmp-\(getpid())")
        try? FileManager.default.removeItem(at: temp)
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        try learner.save(to: temp.appendingPathComponent("learner.ckpt"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: temp.appendingPathComponent("state.json"))
        try extra(temp)
        try? FileManager.default.removeItem(at: final)
        try FileManager.default.moveItem(at: temp, to: final)
        try RunDirectory.writeAtomically(Data(name.utf8), to: directory.appendingPathComponent("latest"))
        prune(keeping: 3)
        return final
    }

    /// The newest complete checkpoint, if any.
    func latest() -> (learner: URL, state: State)? {
        guard let dir = latestDirectory() else { return nil }
        guard let stateData = try? Data(contentsOf: dir.appendingPathComponent("state.json")),
              let state = try? JSONDecoder().decode(State.self, from: stateData) else { return nil }
        return (dir.appendingPathComponent("learner.ckpt"), state)
    }

    /// The directory of the newest complete checkpoint.
    func latestDirectory() -> URL? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("latest")) else { return nil }
        return directory.appendingPathComponent(String(decoding: data, as: UTF8.self))
    }

    private func prune(keeping n: Int) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        let steps = names.compactMap { $0.hasPrefix("ckpt-") ? UInt64($0.dropFirst(5)) : nil }.sorted()
        for s in steps.dropLast(n) { try? FileManager.default.removeItem(at: directory.appendingPathComponent("ckpt-\(s)")) }
    }
}
