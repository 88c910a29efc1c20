import Foundation
import Testing
@testable import YendorAnnotatorRole
import YendorTestSupport
import YendorWire
import ZeroMQ
@testable import YendorAnnotator

/// Not a test: a measurement of `yendor annotator --backend openai` against the stub with faults,
/// run on demand (it takes minutes):
///
///     YENDOR_ANNOTATOR_FAULT_BENCH=1 swift test --skip-build --filter AnnotatorFaultBenchmark
///
/// `YENDOR_BINARY=/path/to/yendor` measures another build (e.g. an older one: only flags every
/// version has are used, all settings are the defaults). Prints one line per measurement.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["YENDOR_ANNOTATOR_FAULT_BENCH"] != nil))
struct AnnotatorFaultBenchmark {
    private static let binary = ChildProcess.yendorBinary.path

    private func startRole(_ stub: StubServer, store: String) async throws -> (ChildProcess, String, String) {
        let requests = "tcp://127.0.0.1:\(ChildProcess.freePort())", labels = "tcp://127.0.0.1:\(ChildProcess.freePort())"
        let role = try ChildProcess(yendor: [
            "annotator", "--backend", "openai", "--llm-url", stub.baseURL.absoluteString, "--model", "stub",
            "--store", store, "--requests", requests, "--labels", labels, "--status-interval-s", "0", "--log-level", "error",
        ])
        guard await role.waitForLine(timeout: 60, { $0.hasPrefix("annotator ready") }) != nil else {
            role.kill()
            throw BenchmarkError.didNotStart(role.standardError)
        }
        return (role, requests, labels)
    }

    enum BenchmarkError: Error { case didNotStart(String) }

    private func client(_ requests: String, _ labels: String, context: Context) async throws -> AnnotatorClient {
        var c = AnnotatorClient.Configuration()
        c.requestsEndpoint = requests
        c.labelsEndpoint = labels
        let client = try await AnnotatorClient(configuration: c, context: context, logger: testLogger)
        _ = await client.waitForAnnotator(timeout: .seconds(30))
        return client
    }

    private static func format(_ seconds: Double) -> String { String(format: "%.1f", seconds) }

    /// 64 captions (four batches of 16) against a stub answering in 0.3-0.7 s that resets 10% of
    /// connections: seconds from the request to each label, and when each batch was complete.
    @Test func latencyWithTenPercentResets() async throws {
        let stub = try await StubServer.started(behaviour: ["random": ["seed": 14, "reset": 0.1, "latency": [0.3, 0.7]]])
        defer { stub.stop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (role, requests, labels) = try await startRole(stub, store: directory.appendingPathComponent("labels.sqlite").path)
        defer { role.kill() }
        let context = try Context()
        defer { context.terminate() }
        let client = try await client(requests, labels, context: context)
        let captions = (0..<64).map { "You kill the newt [bench-\($0)]!" }
        let start = ContinuousClock.now
        try await client.request(goal: .combat, mode: .classification, items: captions.map { .classify(caption: $0) })
        let reader = Task {
            var arrived: [String: Double] = [:]
            for await result in client.results where result.requestID == 0 {
                for entry in result.entries {
                    if case .classify(caption: let caption) = entry.item, case .label = entry.outcome, arrived[caption] == nil {
                        arrived[caption] = (ContinuousClock.now - start).seconds
                    }
                }
                if arrived.count == captions.count { break }
            }
            return arrived
        }
        let guardTask = Task { try? await Task.sleep(for: .seconds(600)); reader.cancel() }
        let arrived = await reader.value
        guardTask.cancel()
        let times = captions.compactMap { arrived[$0] }
        let sorted = times.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
        let batches = stride(from: 0, to: 64, by: 16).map { start in
            captions[start..<start + 16].map { arrived[$0] ?? .infinity }.max() ?? .infinity
        }
        let stats = try await stub.stats()
        print("fault-bench latency binary=\(Self.binary) labels=\(times.count)/64 resets=\(stats.faults["reset"] ?? 0) calls=\(stats.calls) "
              + "per-item p50=\(Self.format(percentile(0.5))) p90=\(Self.format(percentile(0.9))) max=\(Self.format(sorted.last ?? .nan)) s "
              + "batches complete at \(batches.map(Self.format).joined(separator: ", ")) s "
              + "paid twice=\(captions.filter { stats.answers($0) > 1 }.count)")
        await client.close()
        role.signal(SIGTERM)
        _ = await role.waitForExit(timeout: 200)
    }

    /// 400 captions against a stub answering in 0.5-1.5 s with 10% resets; SIGTERM 5 s in, SIGKILL
    /// if still running 30 s later: how long the exit took and how many answers the stub sent
    /// (paid for) that the store does not have.
    @Test func sigtermWithAnswersInFlight() async throws {
        let stub = try await StubServer.started(behaviour: ["random": ["seed": 15, "reset": 0.1, "latency": [0.5, 1.5]]])
        defer { stub.stop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("labels.sqlite").path
        let (role, requests, labels) = try await startRole(stub, store: store)
        defer { role.kill() }
        let context = try Context()
        defer { context.terminate() }
        let client = try await client(requests, labels, context: context)
        let captions = (0..<400).map { "You see a fountain [term-\($0)]." }
        try await client.request(goal: .score, mode: .classification, items: captions.map { .classify(caption: $0) })
        try await Task.sleep(for: .seconds(5))
        let signalled = ContinuousClock.now
        role.signal(SIGTERM)
        var status = await role.waitForExit(timeout: 30)
        let exit = (ContinuousClock.now - signalled).seconds
        if status == nil {
            role.kill()
            status = await role.waitForExit(timeout: 10)
        }
        let stats = try await stub.stats()
        let paid = Set(stats.answered)
        let stored = try LabelStore(path: store).count()
        print("fault-bench sigterm binary=\(Self.binary) exit=\(status.map { "\($0)" } ?? "none") after \(Self.format(exit)) s"
              + "\(exit >= 30 ? " (SIGKILL)" : "") answers paid=\(paid.count) stored=\(stored) lost=\(paid.count - stored)")
        await client.close()
    }
}
