import Foundation

/// Appends one JSON object per line to the run's metrics file: `{"time": …, "step": …, "rollout/sps": …}`.
/// Lines are flushed as they are written, so a killed run keeps everything it logged. With a
/// `TensorBoardLog`, every record also becomes TensorBoard scalars at step `env_steps`.
public final class MetricsLog: @unchecked Sendable {
    /// The file written.
    public let url: URL
    private let handle: FileHandle
    private let lock = NSLock()
    private let tensorBoard: TensorBoardLog?

    public init(url: URL, tensorBoard: TensorBoardLog? = nil) throws {
        self.url = url
        self.tensorBoard = tensorBoard
        if !FileManager.default.fileExists(atPath: url.path) {
            // A failure here surfaces as FileHandle's error just below, with the path.
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    /// Writes a record. Non-finite values are written as null (JSON has no NaN). Throws what the
    /// file system says (a full disk): the caller logs it and trains on. `tensorBoard` false keeps
    /// a record out of TensorBoard (a marker for readers of this file).
    public func write(_ values: [(String, Double)], tensorBoard toTensorBoard: Bool = true) throws {
        var line = "{"
        for (i, (key, value)) in values.enumerated() {
            if i > 0 { line += ", " }
            line += "\"\(key)\": " + (value.isFinite ? MetricsLog.format(value) : "null")
        }
        line += "}\n"
        lock.lock()
        defer { lock.unlock() }
        try handle.appendWhole(Data(line.utf8))
        if let tensorBoard, toTensorBoard {
            let step = values.first { $0.0 == "env_steps" }?.1 ?? 0
            let time = values.first { $0.0 == "time" }?.1 ?? Date().timeIntervalSince1970
            try tensorBoard.write(step: Int64(exactly: step.rounded()) ?? 0, wallTime: time,
                                  scalars: values.filter { $0.0 != "time" && $0.0 != "env_steps" })
        }
    }

    static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    /// Reads a metrics file back (for tests, plots and resume checks).
    public static func read(url: URL) throws -> [[String: Double]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
    }
}
