import Foundation
import ServiceLifecycle

/// Records a role's statistics through swift-metrics every `interval` seconds (for roles whose
/// numbers live in their own statistics, like the annotator's), until the group shuts down.
public struct PeriodicRecorder: Service {
    let recorder: MetricsRecorder
    let interval: Double
    let read: @Sendable () async -> [(String, Double)]

    public init(role: String, interval: Double, read: @escaping @Sendable () async -> [(String, Double)]) {
        recorder = MetricsRecorder(role: role)
        self.interval = interval
        self.read = read
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                recorder.record(await read())
                try? await Task.sleep(for: .seconds(interval))
            }
        }
    }
}
