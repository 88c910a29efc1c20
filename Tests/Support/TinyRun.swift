import Foundation

/// A small network and short rollouts, so debug builds train visibly in seconds; shared by the
/// end-to-end and cluster tests. Heartbeats every 0.2 s, and a peer counts as gone after 3 s of
/// silence: a shorter timeout (1 s) dropped live workers on a loaded CI machine, where a debug
/// build's process can go unscheduled for a second.
public enum TinyRun {
    public static func configuration(checkpointInterval: Double) -> String {
        """
        env:
          task: staircase
          envs: 4
          actors: 1
          rollout_length: 16
        learner:
          batch_size: 64
          minibatch_size: 64
        model:
          core_width: 16
          core_layers: 1
          conv_channels: 4
          glyph_embedding: 4
          glyph_features: 16
          blstats_features: 8
          caption_buckets: 64
          caption_features: 8
        run:
          log_interval: 0.5
          checkpoint_interval: \(checkpointInterval)
        transport:
          heartbeat_interval: 0.2
          heartbeat_misses: 15
        """
    }

    /// A fresh scratch directory holding `tiny.yaml`; returns the directory and the file's path.
    public static func scratch(_ name: String, checkpointInterval: Double) throws -> (dir: URL, config: String) {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("yendor-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("tiny.yaml").path
        try configuration(checkpointInterval: checkpointInterval).write(toFile: config, atomically: true, encoding: .utf8)
        return (dir, config)
    }
}
