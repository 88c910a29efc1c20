import Foundation
import RemoteEnvironment
import YendorAnnotator
import YendorReplay
import YendorRewards
import YendorRollout

/// The sections of `TrainingConfiguration`, one per part of a run, named like their keys' first
/// word (`run.*`, `env.*`, `replay.*`, `reward.*`). The table of keys is `TrainingConfiguration.table`.
extension TrainingConfiguration {
    /// `run.*`: the run as a whole.
    public struct Run: Sendable {
        /// Run directory: resolved config, checkpoints, logs, metrics.jsonl.
        public var directory = "runs/default"
        /// Run seed; per-worker, per-actor and per-env seeds derive from it.
        public var seed: UInt64 = 1
        /// Env steps to train for (the budget).
        public var totalSteps: UInt64 = 2_000_000
        /// Seconds between metrics records and progress updates.
        public var logInterval = 5.0
        /// Seconds between checkpoints (one is also written on shutdown).
        public var checkpointInterval = 60.0
        /// How many of the newest checkpoints are kept (older ones are removed as new ones land).
        public var keepCheckpoints = 3
        /// Env steps between milestone checkpoints, which are never removed: the first checkpoint
        /// at or past every multiple (the points `yendor evaluate --all-checkpoints` draws a
        /// learning curve from); 0 = none.
        public var milestoneSteps: UInt64 = 0
        /// Port of this process's Prometheus endpoint (`GET /metrics`: the learner's, or a worker's); 0 = off.
        public var prometheusPort = 0
        /// IPv4 address the Prometheus endpoint listens on: 0.0.0.0 (every interface, for a scraper
        /// on another machine) or one interface's, e.g. 127.0.0.1 to keep the metrics on this host.
        public var prometheusHost = "0.0.0.0"
    }

    /// `env.*`: what the rollout actors host and how many.
    public struct Environment: Sendable {
        /// Environment family: `dungeon` (Yendor's own game, the default), `nle` (real NetHack),
        /// `server` (environment servers) or `swift` (registered by the program running Yendor).
        public var kind = EnvironmentKind.dungeon
        /// Task in that family (`yendor play --help` lists Dungeon's; docs/environments.md NLE's).
        public var task = "score"
        /// NLE's `nle` package directory (empty: search `.venv`, see docs/environments.md).
        public var nleDirectory = ""
        /// Environment servers (`kind` `server`), comma-separated endpoints, e.g.
        /// `tcp://10.0.0.5:5600,tcp://10.0.0.5:5601`; the worker's actors share them out.
        public var servers = ""
        /// Slices each env server's envs are cut into, each stepped by its own connection: with 2, the
        /// server steps one slice while the worker computes the other's actions (its Python process
        /// never waits for the worker). 1 steps the whole server at once (needed for a 1-env server).
        public var serverSplits = 2
        /// The servers' observation spec fingerprint; empty: asked from the first server at start.
        public var serverSpec = ""
        /// What `yendor train --env gym:ID` gave every env server it started besides its own
        /// arguments (`--serve-arg`), kept so that a resume and `yendor evaluate` start the same
        /// env (an `--import`ed module, `--env-arg`s, the caption's source and size).
        public var serverArguments = CommandArguments()
        /// Seconds without a reply after which an env server counts as gone.
        public var serverTimeout = 10.0
        /// Environments per rollout actor.
        public var envsPerActor = 32
        /// Rollout actors per worker process (2 lets env stepping and inference alternate on 2 cores).
        public var actors = 2
        /// Steps per trajectory (T).
        public var rolloutLength = 32
        /// Steps after which an episode is cut, as truncated (NLE's `max_episode_steps`); 0: the
        /// task's own limit (NLE's 5,000, `challenge`'s 10^6; each Dungeon task's). Dungeon and NLE:
        /// an env server's env ends its episodes itself.
        public var maxEpisodeSteps = 0
        /// Egocentric crop size (odd).
        public var cropSize = 9
        /// Map rows (NetHack's 21; smaller maps make tasks easier and faster).
        public var mapRows = 21
        /// Map columns (NetHack's 79).
        public var mapColumns = 79
        /// Also ship the full glyph map with each trajectory (the policy reads only the crop).
        public var sendFullMap = false

        /// `servers` as a list.
        public var serverEndpoints: [String] {
            servers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    /// `replay.*`: the buffer between the transport and the learner.
    public struct Replay: Sendable {
        /// Trajectories the replay buffer holds before inserts wait (backpressure) or evict.
        public var capacity = 2
        /// When full: `block` (wait; nothing is lost) or `drop-oldest` (evict and count).
        public var fullPolicy = ReplayBuffer.FullPolicy.block
        /// `fifo` (APPO: each trajectory used once) or `uniform`; `prioritized` is refused (`validate`).
        public var sampler = ReplayBuffer.Sampler.Kind.fifo
        /// Times an item may be sampled before removal (fifo: 1).
        public var maxTimesSampled = 1
        /// Samples per insert the rate limiter aims for (0 = no limit), as in Reverb.
        public var samplesPerInsert = 0.0
        /// Save the buffer's contents with every checkpoint and restore them on resume.
        public var checkpoint = true
    }

    /// `reward.*`: intrinsic rewards (ONI) and where their labels come from.
    public struct Reward: Sendable {
        /// Reward model (`none`, `retrieval`, `classification`, `ranking`) and every model's options;
        /// see docs/rewards.md.
        public var models = RewardModelRegistry.Configuration()
        /// The annotator goal (`score`, `gold`, `combat`, `stairs`, `oracle`, `custom:<text>` or free text);
        /// `auto` takes the goal the task declares (`DungeonTask.annotatorGoal`, `NetHackTask.annotatorGoal`).
        public var goal = GoalSetting.auto
        /// Labeler of the in-process annotator (`reward.labeler`, `reward.llm_*`, `reward.simulated_*`):
        /// `lexicon` (rule-based stand-in for an LLM), `simulated` (LLM-like latency, failures and noise
        /// around the lexicon, or around `reward.llm_url` when set) or `openai` (`reward.llm_url`). The
        /// same type `yendor annotator`'s flags fill; the seed is `run.seed`.
        public var labeler: LabelerChoice = {
            var c = LabelerChoice()
            c.simulatedFailureRate = 0.05
            c.simulatedNoise = 0.1
            return c
        }()
        /// Host of a remote `yendor annotator` (its configured ports); empty = annotator in this process.
        public var annotator = ""
        /// Label queries the learner may send per update (bounds annotator traffic).
        public var queriesPerUpdate = 256
        /// Reward-model optimiser steps per learner update (classification and ranking).
        public var trainSteps = 4
    }
}
