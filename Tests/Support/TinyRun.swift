import Foundation

/// The tiny training configuration of the end-to-end and cluster tests (`tiny.yaml` beside this
/// file, shared with cluster/tests/netns-cluster.sh) with a checkpoint interval of the test's own.
public enum TinyRun {
    public static func configuration(checkpointInterval: Double) -> String {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("tiny.yaml")
        guard let base = try? String(contentsOf: file, encoding: .utf8) else {
            preconditionFailure("TinyRun: cannot read \(file.path)")
        }
        // The file ends inside its `run:` section.
        return base + "  checkpoint_interval: \(checkpointInterval)\n"
    }

    /// A fresh scratch directory holding `tiny.yaml`; returns the directory and the file's path.
    public static func scratch(_ name: String, checkpointInterval: Double) throws -> (dir: URL, config: String) {
        let dir = Scratch.root.appendingPathComponent("yendor-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("tiny.yaml").path
        try configuration(checkpointInterval: checkpointInterval).write(toFile: config, atomically: true, encoding: .utf8)
        return (dir, config)
    }
}
