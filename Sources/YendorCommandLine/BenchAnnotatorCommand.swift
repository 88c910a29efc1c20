import ArgumentParser
import Foundation
import Logging
import Synchronization
import YendorAnnotator
import YendorAnnotatorRole
import YendorMetrics
import YendorWire
import ZeroMQ

/// The annotator role under load: an in-process `AnnotatorServer` with the simulated backend
/// (wrapping the lexicon) and many `AnnotatorClient`s over tcp loopback, all in this process.
///
/// Per labeler latency it measures (1) labels per second and end-to-end latency (request sent to
/// label received on the client's SUB) for a burst of new captions from every client, against
/// the bound batchSize × concurrentBatches / latency; (2) the request rate the role sustains:
/// every client sends requests back to back (half the items stored, half new) and waits for the
/// direct replies.
struct BenchAnnotatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotator",
        abstract: "Annotator role: labels/s, end-to-end latency and request throughput with the simulated backend.")

    @Option(name: .customLong("latencies-ms"), parsing: .upToNextOption, help: "Simulated labeler latencies per call, ms, space- or comma-separated (as bench learner's lists).")
    var latencyList: [String] = ["500", "2000"]

    /// `--latencies-ms` as numbers: `100 400` and `100,400` alike.
    var latenciesMs: [Int] { latencyList.flatMap { $0.split(separator: ",") }.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        let items = latencyList.flatMap { $0.split(separator: ",") }
        guard !items.isEmpty, items.allSatisfy({ Int($0.trimmingCharacters(in: .whitespaces)).map { $0 >= 0 } ?? false }) else {
            throw ValidationError("--latencies-ms takes whole milliseconds, 0 or more, space- or comma-separated (e.g. 500,2000), got \(latencyList.joined(separator: " "))")
        }
        // Each client is a DEALER and a SUB socket (two descriptors and two threads' worth of queues).
        for (flag, value, range) in [("--clients", clients, 1...1024), ("--captions-per-client", captionsPerClient, 1...100_000),
                                     ("--requests-per-client", requestsPerClient, 1...100_000), ("--items-per-request", itemsPerRequest, 2...4096),
                                     ("--batch-size", batchSize, 1...4096), ("--max-concurrent-batches", maxConcurrentBatches, 1...1024)]
            where !range.contains(value) {
            throw ValidationError("\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
    }

    @Option(help: "Concurrent clients (each a DEALER + SUB pair).")
    var clients: Int = 64

    @Option(name: .customLong("captions-per-client"), help: "New captions each client asks for in the label burst.")
    var captionsPerClient: Int = 8

    @Option(name: .customLong("requests-per-client"), help: "Requests each client sends in the throughput phase.")
    var requestsPerClient: Int = 50

    @Option(name: .customLong("items-per-request"), help: "Items per request in the throughput phase.")
    var itemsPerRequest: Int = 8

    @Option(name: .customLong("batch-size"), help: "Items per labeler call.")
    var batchSize: Int = 16

    @Option(name: .customLong("max-concurrent-batches"), help: "Labeler calls in flight at once.")
    var maxConcurrentBatches: Int = 4

    struct Row {
        var latencyMs: Int
        var labelsPerSecond: Double
        var bound: Double
        var e2e: (p50: Double, p90: Double, p99: Double)
        var requestsPerSecond: Double
        var itemsPerSecond: Double
        var dropped: Int
        var cacheHits: Int
    }

    func run() async throws {
        AnnotatorServeCommand.say("annotator role, simulated backend wrapping the lexicon; batch \(batchSize), \(maxConcurrentBatches) concurrent batches; "
              + "\(clients) clients (DEALER + SUB each) over tcp loopback, one process")
        var rows: [Row] = []
        for latency in latenciesMs {
            rows.append(try await measure(latencyMs: latency))
            let r = rows.last!
            AnnotatorServeCommand.say(String(format: "latency %5d ms: labels/s %7.1f (bound %6.1f, ratio %.2f)  e2e p50 %6.0f ms p90 %6.0f ms p99 %6.0f ms  "
                         + "requests/s %7.0f (items/s %7.0f; %d items dropped from the full queue, %d store hits)",
                         r.latencyMs, r.labelsPerSecond, r.bound, r.labelsPerSecond / r.bound,
                         r.e2e.p50 * 1000, r.e2e.p90 * 1000, r.e2e.p99 * 1000, r.requestsPerSecond, r.itemsPerSecond, r.dropped, r.cacheHits))
        }
        if rows.count >= 2 {
            let a = rows[0], b = rows[rows.count - 1]
            print(String(format: "ratio %d ms / %d ms: labels/s %.2f (latency ratio %.2f), e2e p50 %.2f, requests/s %.2f",
                         b.latencyMs, a.latencyMs, b.labelsPerSecond / a.labelsPerSecond, Double(a.latencyMs) / Double(b.latencyMs),
                         b.e2e.p50 / a.e2e.p50, b.requestsPerSecond / a.requestsPerSecond))
        }
    }

    private func measure(latencyMs: Int) async throws -> Row {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yendor-bench-annotator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let context = try Context()
        defer { context.terminate() }

        var c = AnnotatorServer.Configuration()
        c.requestsEndpoint = "tcp://127.0.0.1:\(TransportBenchmark.freePort())"
        c.labelsEndpoint = "tcp://127.0.0.1:\(TransportBenchmark.freePort())"
        c.storePath = directory.appendingPathComponent("labels.sqlite").path
        c.backend = .simulated(.init(latency: .milliseconds(latencyMs)), wrapping: .lexicon)
        c.annotator.batchSize = batchSize
        c.annotator.maxConcurrentBatches = maxConcurrentBatches
        c.statusInterval = nil
        let server = try AnnotatorServer(configuration: c, context: context, logger: logger)
        let serverTask = Task { try await server.run() }

        var clientConfiguration = AnnotatorClient.Configuration()
        clientConfiguration.requestsEndpoint = c.requestsEndpoint
        clientConfiguration.labelsEndpoint = c.labelsEndpoint
        clientConfiguration.sendTimeout = .seconds(30)
        var connected: [AnnotatorClient] = []
        for _ in 0..<clients {
            connected.append(try await AnnotatorClient(configuration: clientConfiguration, context: context, logger: logger))
        }
        for client in connected where !(await client.waitForAnnotator(timeout: .seconds(10))) {
            throw ValidationError("a client saw no heartbeat from the annotator")
        }

        // Phase 1: a burst of new captions from every client; wait for each label on the SUB.
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for (index, client) in connected.enumerated() {
                let captions = (0..<captionsPerClient).map { "You kill the newt #\(latencyMs)-\(index)-\($0)!" }
                group.addTask {
                    var waiting = Set(captions)
                    var sentAt: [String: ContinuousClock.Instant] = [:]
                    for caption in captions {
                        sentAt[caption] = .now
                        try await client.request(goal: .combat, mode: .classification, items: [.classify(caption: caption)])
                    }
                    var seconds: [Double] = []
                    for await result in client.results where result.requestID == 0 {
                        for entry in result.entries {
                            guard case .classify(let caption) = entry.item, case .label = entry.outcome,
                                  waiting.remove(caption) != nil, let sent = sentAt[caption] else { continue }
                            seconds.append((ContinuousClock.now - sent).seconds)
                        }
                        if waiting.isEmpty { break }
                    }
                    return seconds
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all.sorted()
        }
        let burstSeconds = (ContinuousClock.now - start).seconds
        let labelsPerSecond = Double(latencies.count) / burstSeconds
        let bound = Double(batchSize * maxConcurrentBatches) / (Double(latencyMs) / 1000)

        // Phase 2: requests back to back; half the items are stored labels, half new.
        let throughputStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, client) in connected.enumerated() {
                let known = (0..<captionsPerClient).map { "You kill the newt #\(latencyMs)-\(index)-\($0)!" }
                group.addTask {
                    var outstanding = Set<UInt64>()
                    for r in 0..<requestsPerClient {
                        let items = (0..<itemsPerRequest).map { i -> LabelTask in
                            i % 2 == 0 ? .classify(caption: known[i / 2 % known.count]) : .classify(caption: "You see here \(index)-\(r)-\(i) gold pieces.")
                        }
                        outstanding.insert(try await client.request(goal: .combat, mode: .classification, items: items))
                    }
                    for await result in client.results where result.requestID != 0 {
                        outstanding.remove(result.requestID)
                        if outstanding.isEmpty { break }
                    }
                }
            }
            try await group.waitForAll()
        }
        let throughputSeconds = (ContinuousClock.now - throughputStart).seconds
        let requests = Double(clients * requestsPerClient)

        let metrics = server.metrics
        for client in connected { await client.close() }
        server.stop()
        try await serverTask.value
        var window = LatencyWindow(window: latencies.count)
        for latency in latencies { window.record(seconds: latency) }
        func percentile(_ p: Double) -> Double { window.percentile(p) }
        return Row(latencyMs: latencyMs, labelsPerSecond: labelsPerSecond, bound: bound,
                   e2e: (percentile(0.5), percentile(0.9), percentile(0.99)),
                   requestsPerSecond: requests / throughputSeconds, itemsPerSecond: requests * Double(itemsPerRequest) / throughputSeconds,
                   dropped: Int(metrics["annotator/dropped"]), cacheHits: Int(metrics["annotator/cache_hits"]))
    }
}
