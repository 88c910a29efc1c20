import Foundation
import YendorLearner
import YendorNN

/// Checkpoint layout in the run directory: `checkpoints/ckpt-<env steps>[.<n>]/{learner.ckpt,state.json}`
/// and a `checkpoints/latest` file naming the newest complete one. The pointer is replaced
/// atomically after the directory is complete, so a crash mid-write leaves the previous checkpoint
/// in force; a resume passes over checkpoints that do not read (saying so) to the newest that does.
/// The `keep` newest are kept, and with `milestoneSteps` N the first checkpoint at or past every
/// multiple of N env steps too (the points of a learning curve: `yendor evaluate --all-checkpoints`).
struct Checkpoints: Sendable {
    let directory: URL
    /// How many of the newest checkpoints a save keeps (`run.keep_checkpoints`).
    var keep = 3
    /// Every N env steps, a checkpoint that is never removed (`run.milestone_steps`); 0: none.
    var milestoneSteps: UInt64 = 0

    /// Service counters saved next to the learner's own state.
    struct State: Codable, Sendable {
        var envSteps: UInt64
        var episodes: Int
        var updates: Int
        var policyVersion: Int64
        var modelSignature: String
        /// The learner's other counters (frames dropped, labels received, samples dropped for lag,
        /// …), so that a resumed run's go on from them instead of from 0; nil in checkpoints
        /// written before they were kept.
        var counters: [String: Double]? = nil
        /// The last 200 episodes' returns and outcomes (`rollout/mean_return`,
        /// `rollout/success_rate`), so a resumed run's curves go on from them; nil in older checkpoints.
        var recentReturns: [Float]? = nil
        var recentSuccesses: [Bool]? = nil
        /// Their lengths (`rollout/mean_length`); nil in older checkpoints.
        var recentLengths: [Int32]? = nil
        /// The annotator goal the reward model learned its labels for (`Goal.key`), so a resume
        /// asking for another goal (another task) does not reward with the old goal's labels; nil
        /// in older checkpoints.
        var rewardGoal: String? = nil
    }

    /// A checkpoint whose learner and state files are written, not yet visible (`commit`).
    struct Staged: Sendable {
        let name: String
        let temp: URL
    }

    /// Writes a checkpoint; `extra` may add files to its directory before it becomes visible.
    /// Returns the checkpoint's directory.
    @discardableResult
    func save(learner: APPOLearner, state: State, extra: (URL) throws -> Void = { _ in }) throws -> URL {
        try commit(stage(learner: learner, state: state), extra: extra)
    }

    /// Writes the learner's weights and `state` into a directory that is not yet a checkpoint:
    /// `commit` finishes it. Apart so the learner, which changes with its next update, is written
    /// on the train loop, and the slow rest (the reward model's state) on a thread of its own. A
    /// checkpoint at the same env-step count as an earlier one (a learner stopped before its first
    /// update, or restarted at its budget) gets a name of its own (`ckpt-<steps>.<n>`): the one
    /// `latest` names is never deleted before its successor is in place. One staged at a time.
    func stage(learner: APPOLearner, state: State) throws -> Staged {
        var name = "ckpt-\(state.envSteps)", n = 0
        while FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            n += 1
            name = "ckpt-\(state.envSteps).\(n)"
        }
        let temp = directory.appendingPathComponent(".\(name).tmp-\(getpid())")
        try? FileManager.default.removeItem(at: temp)
        // A failed save takes its partial files with it: on a full disk they ate the space freed
        // for the next attempt (trial C).
        do {
            try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
            try learner.save(to: temp.appendingPathComponent("learner.ckpt"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(state).write(to: temp.appendingPathComponent("state.json"))
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
        return Staged(name: name, temp: temp)
    }

    /// Lets `extra` add files to a staged checkpoint, then makes it the latest (and prunes);
    /// returns its directory.
    @discardableResult
    func commit(_ staged: Staged, extra: (URL) throws -> Void = { _ in }) throws -> URL {
        let final = directory.appendingPathComponent(staged.name)
        do {
            try extra(staged.temp)
            try FileManager.default.moveItem(at: staged.temp, to: final)
        } catch {
            try? FileManager.default.removeItem(at: staged.temp)
            throw error
        }
        do {
            try RunDirectory.writeAtomically(Data(staged.name.utf8), to: directory.appendingPathComponent("latest"))
        } catch {
            // Complete all the same, and a resume finds it (`latest()` takes the newest that reads).
            throw LatestNotUpdated(name: staged.name, reason: error.localizedDescription)
        }
        prune(current: staged.name)
        return final
    }

    /// A checkpoint complete in its directory that `latest` could not be made to name (a full disk).
    struct LatestNotUpdated: LocalizedError {
        let name: String, reason: String
        var errorDescription: String? {
            "\(name) is complete, but checkpoints/latest could not be made to name it (\(reason)); a resume takes it anyway, as the newest checkpoint that reads"
        }
    }

    /// "checkpoint(s) NAMES do(es) not read (…)", said of checkpoints passed over for an older one.
    static func notReading(_ names: [String]) -> String {
        "\(names.count == 1 ? "checkpoint" : "checkpoints") \(names.joined(separator: ", ")) \(names.count == 1 ? "does" : "do") not read (a crash or a disk error while writing?)"
    }

    /// A checkpoint to resume from.
    struct Found: Sendable {
        let directory: URL
        let state: State
        var learner: URL { directory.appendingPathComponent("learner.ckpt") }
        /// Newer checkpoints passed over because they did not read (named, for the log).
        let skipped: [String]
    }

    /// The newest checkpoint that reads: the one `latest` names, else the newest other one (that
    /// one is missing or unreadable after a crash or a disk error; `skipped` names what was passed
    /// over). Ones further on and written after the one `latest` names come first: complete, but a
    /// full disk failed the write of `latest` itself (trial Y: the resume went back 13K steps). Nil for a run
    /// with no checkpoint. Throws when there are checkpoints and none reads (starting afresh would
    /// silently lose the run), with `advice` on what to do.
    func latest(advice: String = "move them away to start afresh, or restore one") throws -> Found? {
        let named = (try? Data(contentsOf: directory.appendingPathComponent("latest"))).map { String(decoding: $0, as: UTF8.self) }
        let others = checkpointNames().sorted { Self.order($0)! > Self.order($1)! }.filter { $0 != named }
        // Further on and written later: a run started afresh in the same directory writes
        // checkpoints with fewer steps than the older run's, written before.
        let namedAt = named.flatMap { writtenAt($0) }, namedOrder = named.flatMap { Self.order($0) }
        let later = namedAt.map { at in
            others.filter { name in namedOrder.map { Self.order(name)! > $0 } ?? false && (writtenAt(name) ?? .distantPast) > at }
        } ?? []
        let candidates = later + (named.map { [$0] } ?? []) + others.filter { !later.contains($0) }
        var skipped: [String] = []
        for name in candidates {
            if let found = Self.read(directory.appendingPathComponent(name), skipped: skipped) { return found }
            skipped.append(name)
        }
        guard skipped.isEmpty else {
            throw ConfigurationError(field: "run.dir", problem: "no checkpoint in \(directory.path) reads (tried \(skipped.joined(separator: ", "))): \(advice)")
        }
        return nil
    }

    /// The checkpoint in `dir` if it reads: a state.json that decodes and a learner.ckpt beside it
    /// that reads whole (a truncated one, from a full disk, is passed over like a torn state.json,
    /// not found when the learner loads it).
    static func read(_ dir: URL, skipped: [String] = []) -> Found? {
        guard let state = state(in: dir), (try? TensorFile.read(from: dir.appendingPathComponent("learner.ckpt"))) != nil else { return nil }
        return Found(directory: dir, state: state, skipped: skipped)
    }

    /// When checkpoint `name`'s state.json was written; nil if it has none.
    private func writtenAt(_ name: String) -> Date? {
        let path = directory.appendingPathComponent(name).appendingPathComponent("state.json").path
        return (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// The state.json of the checkpoint in `dir`, if it decodes.
    static func state(in dir: URL) -> State? {
        (try? Data(contentsOf: dir.appendingPathComponent("state.json"))).flatMap { try? JSONDecoder().decode(State.self, from: $0) }
    }

    /// `ckpt-<steps>` and `ckpt-<steps>.<n>` directories, in no order.
    private func checkpointNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { Self.order($0) != nil }
    }

    /// A checkpoint name's place in time: (env steps, n).
    static func order(_ name: String) -> (UInt64, Int)? {
        guard name.hasPrefix("ckpt-") else { return nil }
        let parts = name.dropFirst(5).split(separator: ".", omittingEmptySubsequences: false)
        guard let steps = parts.first.flatMap({ UInt64($0) }) else { return nil }
        if parts.count == 1 { return (steps, 0) }
        guard parts.count == 2, let n = Int(parts[1]) else { return nil }
        return (steps, n)
    }

    /// Every checkpoint directory (`ckpt-…`), oldest first, whether it reads or not.
    func directories() -> [URL] {
        checkpointNames().sorted { Self.order($0)! < Self.order($1)! }.map { directory.appendingPathComponent($0) }
    }

    /// Every checkpoint that reads, oldest first.
    func all() -> [Found] { directories().compactMap { Self.read($0) } }

    /// The milestones among `names`: with `milestoneSteps` N, the first checkpoint (the fewest env
    /// steps) in each span [kN, (k+1)N), k ≥ 1. Worked out from the names alone, so a resumed run
    /// keeps the same ones.
    func milestones(among names: [String]) -> Set<String> {
        guard milestoneSteps > 0 else { return [] }
        var first: [UInt64: (name: String, order: (UInt64, Int))] = [:]
        for name in names {
            let order = Self.order(name)!, span = order.0 / milestoneSteps
            guard span >= 1 else { continue }
            if let known = first[span], known.order <= order { continue }
            first[span] = (name, order)
        }
        return Set(first.values.map(\.name))
    }

    /// Keeps the `keep` newest checkpoints, the milestones and `current` (the one just written:
    /// after a run that restarted from scratch, older runs' names sort higher), and removes
    /// temporary directories that failed saves left.
    private func prune(current: String) {
        // Only checkpoints whose state reads count: a directory that merely has the name (a torn
        // write, something put there by hand) neither takes a slot nor is removed.
        let names = checkpointNames().sorted { Self.order($0)! > Self.order($1)! }.filter {
            Self.state(in: directory.appendingPathComponent($0)) != nil
        }
        let milestones = milestones(among: names)
        for name in names.dropFirst(keep) where name != current && !milestones.contains(name) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for temp in entries where temp.hasPrefix(".ckpt-") && temp.contains(".tmp-") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(temp))
        }
    }
}
