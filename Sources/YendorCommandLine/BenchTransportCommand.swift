import ArgumentParser
import Foundation
import YendorRuntime
import YendorSupport
import YendorWire
import ZeroMQ

/// PUSH/PULL throughput between two processes: encoded `TrajectoryBatch`es (encode on the sender,
/// decode on the receiver) against raw byte frames of the same size, over tcp and ipc.
struct BenchTransportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "PUSH/PULL throughput of encoded TrajectoryBatch messages vs raw libzmq frames.")

    @Option(name: .customLong("volume-mib"), help: "MiB moved per configuration (sets the message count).")
    var volumeMiB: Int = 1024

    @Option(name: .customLong("sizes-kib"), parsing: .upToNextOption, help: "Message sizes in KiB.")
    var sizesKiB: [Int] = [64, 1024]

    @Option(help: "Runs per row (raw and batch alternate); the table shows medians.")
    var repeats: Int = 5

    func validate() throws {
        guard (1...(1 << 20)).contains(volumeMiB) else { throw ValidationError("--volume-mib must be in 1...1048576, got \(volumeMiB)") }
        guard !sizesKiB.isEmpty, sizesKiB.allSatisfy({ (1...(1 << 20)).contains($0) }) else {
            throw ValidationError("--sizes-kib must list sizes in 1...1048576, got \(sizesKiB)")
        }
        guard (1...1000).contains(repeats) else { throw ValidationError("--repeats must be in 1...1000, got \(repeats)") }
    }

    func run() throws {
        let (major, minor, patch) = Context.version
        print("libzmq \(major).\(minor).\(patch); two processes on this machine; \(volumeMiB) MiB per run, median of \(repeats) run\(repeats == 1 ? "" : "s") per row")
        try printCodecSpeed()
        print("")
        print("batch = encode + send + receive + check + view; CPU = CPU-seconds of both processes per GB moved")
        print("transport  size      raw MB/s   batch MB/s   ratio   raw CPU  batch CPU  CPU ratio   range (MB/s)")
        for transport in ["tcp", "ipc"] {
            for kib in sizesKiB {
                let size = kib * 1024
                let count = max(50, volumeMiB * 1024 * 1024 / size)
                // Alternating runs share the machine's (background) load as fairly as possible.
                var raw: [Double] = [], encoded: [Double] = [], rawCPU: [Double] = [], batchCPU: [Double] = []
                var misaligned = 0
                for _ in 0..<max(1, repeats) {
                    let rawRun = try measure(transport: transport, size: size, count: count, batch: false)
                    raw.append(rawRun.megabytesPerSecond)
                    rawCPU.append(rawRun.cpuSecondsPerGB)
                    let run = try measure(transport: transport, size: size, count: count, batch: true)
                    encoded.append(run.megabytesPerSecond)
                    batchCPU.append(run.cpuSecondsPerGB)
                    misaligned += run.misaligned
                }
                let (rawMedian, batchMedian) = (Quantile.median(raw), Quantile.median(encoded))
                let (rawCPUMedian, batchCPUMedian) = (Quantile.median(rawCPU), Quantile.median(batchCPU))
                let line = transport.padding(toLength: 9, withPad: " ", startingAt: 0)
                    + String(format: "  %4d KiB  %9.0f  %11.0f   %5.2f   %8.2f  %8.2f     %5.2f   raw %4.0f–%4.0f, batch %4.0f–%4.0f",
                             kib, rawMedian, batchMedian, batchMedian / rawMedian, rawCPUMedian, batchCPUMedian,
                             rawCPUMedian / batchCPUMedian, raw.min()!, raw.max()!, encoded.min()!, encoded.max()!)
                    + (misaligned > 0 ? "   (\(misaligned) frames at odd addresses, copied to align)" : "")
                print(line)
            }
        }
    }

    /// Single-thread codec speed: encode into a reused buffer, check-and-view decode (what the peer
    /// does), the copying decode into owned arrays, and the checksum alone. Each is timed in 10 short
    /// trials, interleaved, and the best trial is shown: on a shared machine the best is the one least
    /// disturbed by other work.
    private func printCodecSpeed() throws {
        for kib in sizesKiB {
            var batch = TransportBenchmark.batch(targetBytes: kib * 1024)
            let bytes = batch.encoded()
            let reps = max(4, 64 * 1024 * 1024 / bytes.count)
            var frame: [UInt8] = []
            var sink = 0
            var best = [Double](repeating: .infinity, count: 4)  // seconds: encode, view, copy, CRC
            func time(_ slot: Int, _ body: () throws -> Void) rethrows {
                let start = ContinuousClock.now
                try body()
                best[slot] = min(best[slot], (ContinuousClock.now - start).seconds)
            }
            for trial in 0..<10 {
                time(0) {
                    for i in 0..<reps {
                        TransportBenchmark.stamp(&batch, message: trial * reps + i)
                        batch.encode(into: &frame)
                        sink &+= frame.count
                    }
                }
                try time(1) {
                    for _ in 0..<reps { sink &+= try TrajectoryBatchView.withView(of: bytes) { TransportBenchmark.touch($0) } }
                }
                try time(2) { for _ in 0..<reps { sink &+= try TrajectoryBatch.decode(bytes).steps } }
                time(3) { for _ in 0..<reps { sink &+= Int(CRC32C.checksum(bytes)) } }
            }
            let gb = Double(bytes.count * reps) / 1e9
            print(String(format: "codec %4d KiB batch (%d bytes): encode %.2f GB/s, view decode %.2f GB/s, copying decode %.2f GB/s, CRC32C alone %.2f GB/s (best of 10; checksum %d)",
                         kib, bytes.count, gb / best[0], gb / best[1], gb / best[2], gb / best[3], sink & 1))
        }
    }

    /// One run's result. CPU time (both processes, all threads) per GB moved does not depend on how
    /// much of the machine other work takes, unlike MB/s.
    struct Run {
        var megabytesPerSecond: Double
        var cpuSecondsPerGB: Double
        var misaligned: Int
    }

    /// Starts a receiving peer process, sends from here, returns MB/s as the receiver measured it, the
    /// CPU both processes spent, and how many frames the receiver had to copy for alignment.
    private func measure(transport: String, size: Int, count: Int, batch: Bool) throws -> Run {
        let endpoint = transport == "tcp"
            ? "tcp://127.0.0.1:\(TransportBenchmark.freePort())"
            : "ipc://\(NSTemporaryDirectory())yendor-bench-\(getpid()).sock"
        // The peer binds; a bind over ipc leaves its socket file when the peer ends.
        defer { TransportConfiguration.removeSocketFile(of: endpoint) }
        let peer = Process()
        peer.executableURL = Executable.current
        peer.arguments = ["_peer", "pull", "--endpoint", endpoint, "--count", "\(count)", "--parent-pid", "\(getpid())"] + (batch ? ["--decode"] : [])
        let pipe = Pipe()
        peer.standardOutput = pipe
        try peer.run()
        let reader = pipe.fileHandleForReading
        guard let ready = readLine(reader), ready.hasPrefix("ready") else { throw ValidationError("peer did not start") }

        let context = try Context()
        defer { context.terminate() }
        let socket = try Socket(context: context, type: .push)
        try socket.set([.sendHighWaterMark(256), .linger(milliseconds: 30_000)])
        try socket.connect(endpoint)
        let cpuStart = TransportBenchmark.processCPUSeconds()  // this process: encoding thread + libzmq I/O thread
        try TransportBenchmark.send(socket, size: size, count: count, batches: batch)
        guard let summary = readLine(reader) else { throw ValidationError("peer gave no result") }
        let senderCPU = TransportBenchmark.processCPUSeconds() - cpuStart
        socket.close()
        peer.waitUntilExit()
        // "received N messages B bytes in S s misaligned M sum X cpu C"
        let fields = summary.split(separator: " ")
        guard fields.count >= 14, let bytes = Double(fields[3]), let seconds = Double(fields[6]),
              let misaligned = Int(fields[9]), let receiverCPU = Double(fields[13]) else {
            throw ValidationError("unexpected peer output: \(summary)")
        }
        return Run(megabytesPerSecond: bytes / seconds / 1e6, cpuSecondsPerGB: (senderCPU + receiverCPU) / (bytes / 1e9),
                   misaligned: misaligned)
    }

    private func readLine(_ handle: FileHandle) -> String? {
        var data = Data()
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty { return data.isEmpty ? nil : String(decoding: data, as: UTF8.self) }
            if byte.first == 10 { return String(decoding: data, as: UTF8.self) }
            data.append(byte)
        }
    }
}

/// Shared pieces of the transport benchmark and its peer.
enum TransportBenchmark {
    /// A batch shaped like a Dungeon rollout (9×9 glyph crop, 16 blstats, captions) of about `targetBytes`.
    static func batch(targetBytes: Int) -> TrajectoryBatch {
        let t = 32
        let perStep = 9 * 9 * 2 + 16 * 4 + 4 * 6 + 2 * 1 + 4
        let b = max(1, targetBytes / (t * perStep))
        let n = t * b
        var seed: UInt32 = 12345
        func next() -> UInt32 { seed = seed &* 1_664_525 &+ 1_013_904_223; return seed }
        return TrajectoryBatch(
            workerID: "bench", task: "staircase-lvl3", policyVersion: 1, steps: t, envs: b,
            observations: [
                NamedArray(name: "crop", shape: [t + 1, b, 9, 9], values: (0..<(t + 1) * b * 81).map { _ in Int16(next() % 600) }),
                NamedArray(name: "blstats", shape: [t + 1, b, 16], values: (0..<(t + 1) * b * 16).map { _ in Int32(next() % 100) }),
            ],
            actions: (0..<n).map { _ in Int32(next() % 20) },
            behaviourLogProbs: (0..<n).map { _ in -Float(next() % 1000) / 300 },
            values: (0..<n).map { _ in Float(next() % 1000) / 1000 },
            rewards: (0..<n).map { _ in next() % 50 == 0 ? 1 : 0 },
            dones: (0..<n).map { _ in next() % 200 == 0 ? 1 : 0 },
            truncated: [UInt8](repeating: 0, count: n),
            envIDs: (0..<b).map { Int32($0) },
            policyVersions: [Int32](repeating: 1, count: n),
            captions: ["", "You see here 12 gold pieces.", "You kill the jackal!", "That door is closed."],
            captionIndex: (0..<n).map { _ in Int32(next() % 4) },
            captionCount: (0..<n).map { _ in Int32(1 + next() % 3) },
            episodes: [EpisodeSummary(env: 0, episodeReturn: 1, length: 300, success: true)])
    }

    /// CPU time of this whole process (every thread) so far, in seconds.
    static func processCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Makes message `i` differ from the one before (so every frame is encoded from new contents, as a
    /// worker's would be); the receiver checks `policyVersion == i`.
    static func stamp(_ batch: inout TrajectoryBatch, message i: Int) {
        batch.policyVersion = UInt64(i)
        batch.actions[0] = Int32(i % 20)
        batch.rewards[i % batch.rewards.count] += 1
    }

    /// Sends `count` messages of about `size` bytes: with `batches`, a freshly stamped trajectory per
    /// message encoded into one reused buffer; otherwise raw frames numbered in their first 8 bytes.
    static func send(_ socket: Socket, size: Int, count: Int, batches: Bool) throws {
        var frame: [UInt8] = batches ? [] : [UInt8](repeating: 7, count: size)
        var batch = batches ? batch(targetBytes: size) : nil
        for i in 0..<count {
            if batch != nil {
                stamp(&batch!, message: i)
                batch!.encode(into: &frame)
            } else {
                frame.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(i), as: UInt64.self) }
            }
            try socket.send(frame)
        }
    }

    /// Reads columns through the view so the receiver uses the data, not just the checks.
    static func touch(_ batch: TrajectoryBatchView) -> Int {
        var sum = batch.rewards.reduce(0, +)
        sum += batch.values.reduce(0, +)
        return Int(sum) &+ Int(batch.actions.reduce(0, &+)) &+ batch.captions.count
    }

    static func freePort() -> Int {
        // Bind to an ephemeral port through libzmq and release it.
        guard let context = try? Context(), let socket = try? Socket(context: context, type: .pull) else { return 47_000 }
        defer { socket.close(); context.terminate() }
        guard (try? socket.bind("tcp://127.0.0.1:*")) != nil else { return 47_000 }
        return Int(socket.lastEndpoint.split(separator: ":").last ?? "") ?? 47_000
    }
}
